"""The prompt planner: work and quiet hours, time zones and DST, the cap, jitter, tough-call runs."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from wellbeing.prompts.exercises import get_exercise
from wellbeing.prompts.schedule import (
    AgentSchedule,
    CallEvent,
    agent_jitter,
    default_prompt_settings,
    plan_prompts,
    tough_call_prompt,
    validate_settings,
)

UTC = timezone.utc
SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
AGENT = "agent-7f3c"
J = agent_jitter(AGENT)
WEEKDAYS = [1, 2, 3, 4, 5]
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
DAY_SHIFT = {"days": WEEKDAYS, "start": "09:00", "end": "17:00"}
LUNCH = {"days": WEEKDAYS, "start": "12:00", "end": "13:00"}

# Default settings (breaks every 55 min, breathing every 120, 15 min apart at least) on 09:00-17:00,
# worked by hand: breathing at 11:00 is pushed to 11:05, 15 minutes after the 10:50 break.
DEFAULT_DAY = [
    ("break", "09:55"), ("break", "10:50"), ("breathing", "11:05"), ("break", "11:45"),
    ("break", "12:40"), ("breathing", "13:05"), ("break", "13:35"), ("break", "14:30"),
    ("breathing", "15:05"), ("break", "15:25"), ("break", "16:20"),
]
# The same settings on a 22:00-06:00 night shift
DEFAULT_NIGHT = [
    ("break", "22:55"), ("break", "23:50"), ("breathing", "00:05"), ("break", "00:45"),
    ("break", "01:40"), ("breathing", "02:05"), ("break", "02:35"), ("break", "03:30"),
    ("breathing", "04:05"), ("break", "04:25"), ("break", "05:20"),
]


def settings(**changes):
    values = default_prompt_settings()
    for path, value in changes.items():
        section, _, key = path.partition("__")
        if key:
            values[section][key] = value
        else:
            values[section] = value
    return values


def schedule(tz="Asia/Shanghai", work=DAY_SHIFT, quiet=None, agent=AGENT, **changes):
    return AgentSchedule(agent, tz, settings(**changes), work, quiet)


def local_day(zone, year, month, day):
    """[local midnight, next local midnight) of one calendar day, in UTC."""
    start = datetime(year, month, day, tzinfo=zone)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def walls(prompts, zone):
    """(kind, local HH:MM) with the agent's jitter taken off."""
    return [(p.kind, (p.due_at - J).astimezone(zone).strftime("%H:%M")) for p in prompts]


def test_default_settings_follow_the_research_defaults():
    assert default_prompt_settings() == {
        "breathing": {"enabled": True, "every_minutes": 120},
        "breaks": {"enabled": True, "every_minutes": 55, "minutes": 5},
        "after_tough_calls": {"enabled": True, "threshold": 2},
        "max_per_day": 12,
    }
    assert validate_settings(default_prompt_settings()) == {}


def test_default_settings_are_a_fresh_copy_each_time():
    default_prompt_settings()["breaks"]["minutes"] = 30
    assert default_prompt_settings()["breaks"]["minutes"] == 5


def test_invalid_settings_are_reported_per_field():
    broken = settings(breathing__every_minutes=5, breaks__enabled="yes", max_per_day=-1)
    assert validate_settings(broken) == {
        "breathing.every_minutes": ["must be a whole number from 15 to 480"],
        "max_per_day": ["must be a whole number from 0 to 48"],
        "breaks.enabled": ["must be true or false"],
    }
    with pytest.raises(ValueError):
        plan_prompts(AgentSchedule(AGENT, "UTC", broken, DAY_SHIFT), *local_day(SH, 2026, 3, 2))


def test_jitter_is_stable_and_within_two_minutes():
    jitters = [agent_jitter(f"agent-{n}") for n in range(1000)]
    assert all(timedelta(0) <= j <= timedelta(seconds=120) for j in jitters)
    assert agent_jitter("agent-5") == agent_jitter("agent-5")
    # 1000 ids over 121 possible seconds: far more than 60 distinct values unless the hash is broken
    assert len(set(jitters)) > 60


def test_day_shift_in_shanghai_follows_the_hand_computed_plan():
    prompts = plan_prompts(schedule(), *local_day(SH, 2026, 3, 2))
    assert walls(prompts, SH) == DEFAULT_DAY
    assert prompts[0].due_at == datetime(2026, 3, 2, 1, 55, tzinfo=UTC) + J
    assert [p.due_at for p in prompts] == sorted(p.due_at for p in prompts)


def test_prompts_expire_after_ten_or_fifteen_minutes():
    prompts = plan_prompts(schedule(), *local_day(SH, 2026, 3, 2))
    breathing = next(p for p in prompts if p.kind == "breathing")
    brk = next(p for p in prompts if p.kind == "break")
    assert breathing.valid_until - breathing.due_at == timedelta(minutes=10)
    assert brk.valid_until - brk.due_at == timedelta(minutes=15)


def test_prompt_exercises_exist_in_the_catalog():
    prompts = plan_prompts(schedule(), *local_day(SH, 2026, 3, 2))
    assert {p.kind: p.exercise_id for p in prompts} == {"breathing": "resonance", "break": "micro_break"}
    assert get_exercise("resonance")["kind"] == "breathing"
    assert get_exercise("micro_break")["kind"] == "break"


def test_validity_never_runs_past_the_end_of_work():
    prompts = plan_prompts(
        schedule(work={"days": WEEKDAYS, "start": "09:00", "end": "10:00"}, breaks__enabled=False,
                 breathing__every_minutes=55),
        *local_day(SH, 2026, 3, 2),
    )
    assert walls(prompts, SH) == [("breathing", "09:55")]
    assert prompts[0].valid_until == datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def test_no_two_prompts_are_closer_than_fifteen_minutes():
    prompts = plan_prompts(schedule(breaks__every_minutes=20, breathing__every_minutes=25), *local_day(SH, 2026, 3, 2))
    gaps = [later.due_at - earlier.due_at for earlier, later in zip(prompts, prompts[1:])]
    assert min(gaps) >= timedelta(minutes=15)


def test_no_prompts_on_days_off():
    assert plan_prompts(schedule(), *local_day(SH, 2026, 3, 7)) == []  # Saturday


def test_disabled_kinds_are_not_planned():
    only_breaks = plan_prompts(schedule(breathing__enabled=False), *local_day(SH, 2026, 3, 2))
    assert {p.kind for p in only_breaks} == {"break"}
    assert len(only_breaks) == 8
    assert plan_prompts(schedule(breathing__enabled=False, breaks__enabled=False), *local_day(SH, 2026, 3, 2)) == []


def test_lunch_quiet_hours_drop_the_prompt_inside_and_cut_validity_at_the_start():
    prompts = plan_prompts(schedule(quiet=LUNCH), *local_day(SH, 2026, 3, 2))
    assert walls(prompts, SH) == [slot for slot in DEFAULT_DAY if slot != ("break", "12:40")]
    before_lunch = prompts[3]
    assert walls([before_lunch], SH) == [("break", "11:45")]
    assert before_lunch.valid_until == datetime(2026, 3, 2, 12, 0, tzinfo=SH)


def test_overnight_shift_with_quiet_hours_crossing_midnight():
    prompts = plan_prompts(
        schedule(work={"days": [1], "start": "22:00", "end": "06:00"},
                 quiet={"days": [1], "start": "23:30", "end": "00:30"},
                 breaks__enabled=False, breathing__every_minutes=60),
        datetime(2026, 3, 2, tzinfo=SH), datetime(2026, 3, 4, tzinfo=SH),
    )
    assert walls(prompts, SH) == [("breathing", t) for t in ("23:00", "01:00", "02:00", "03:00", "04:00", "05:00")]
    assert prompts[1].due_at == datetime(2026, 3, 3, 1, 0, tzinfo=SH) + J  # Tuesday morning, Monday's shift


def test_quiet_hours_belong_to_the_day_they_start():
    # Monday's 22:00-07:00 quiet time covers Tuesday morning; Tuesday has no quiet time of its own
    prompts = plan_prompts(
        schedule(work={"days": [2, 3], "start": "06:00", "end": "08:00"},
                 quiet={"days": [1], "start": "22:00", "end": "07:00"},
                 breaks__enabled=False, breathing__every_minutes=30),
        datetime(2026, 3, 3, tzinfo=SH), datetime(2026, 3, 5, tzinfo=SH),
    )
    tuesday = [p for p in prompts if p.due_at < datetime(2026, 3, 4, tzinfo=SH)]
    wednesday = prompts[len(tuesday):]
    assert walls(tuesday, SH) == [("breathing", t) for t in ("07:00", "07:30")]
    assert walls(wednesday, SH) == [("breathing", t) for t in ("06:30", "07:00", "07:30")]


def test_daily_cap_keeps_the_first_prompts_of_the_day():
    prompts = plan_prompts(schedule(max_per_day=4), *local_day(SH, 2026, 3, 2))
    assert walls(prompts, SH) == DEFAULT_DAY[:4]
    assert plan_prompts(schedule(max_per_day=0), *local_day(SH, 2026, 3, 2)) == []


def test_night_shift_counts_against_the_day_it_starts():
    night = schedule(work={"days": [5], "start": "22:00", "end": "06:00"}, breaks__enabled=False,
                     breathing__every_minutes=60, max_per_day=3)
    friday_night = plan_prompts(night, datetime(2026, 3, 6, 12, tzinfo=SH), datetime(2026, 3, 7, 12, tzinfo=SH))
    saturday_only = plan_prompts(night, *local_day(SH, 2026, 3, 7))
    assert walls(friday_night, SH) == [("breathing", t) for t in ("23:00", "00:00", "01:00")]
    assert saturday_only == friday_night[1:]


def test_replanning_gives_identical_rows_and_a_split_horizon_changes_nothing():
    agent = schedule(quiet=LUNCH)
    start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)
    cut = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)  # 13:00 in Shanghai, mid-shift
    whole = plan_prompts(agent, start, end)
    assert plan_prompts(agent, start, end) == whole
    assert plan_prompts(agent, start, cut) + plan_prompts(agent, cut, end) == whole
    assert len(whole) == 5 * 10


def test_agents_with_different_ids_are_spread_by_their_jitter():
    first = plan_prompts(schedule(agent="agent-a"), *local_day(SH, 2026, 3, 2))
    second = plan_prompts(schedule(agent="agent-b"), *local_day(SH, 2026, 3, 2))
    offset = agent_jitter("agent-b") - agent_jitter("agent-a")
    assert [b.due_at - a.due_at for a, b in zip(first, second)] == [offset] * 11


def test_shanghai_has_the_same_local_times_all_week():
    prompts = plan_prompts(schedule(), datetime(2026, 3, 2, tzinfo=SH), datetime(2026, 3, 9, tzinfo=SH))
    assert len(prompts) == 5 * 11
    for day in range(2, 7):
        todays = [p for p in prompts if p.due_at.astimezone(SH).day == day]
        assert walls(todays, SH) == DEFAULT_DAY
    assert {p.due_at.astimezone(SH).utcoffset() for p in prompts} == {timedelta(hours=8)}


@pytest.mark.parametrize("month, days", [(3, (7, 8, 9)), (10, (31,)), (11, (1, 2))])
def test_new_york_day_shift_keeps_its_local_times_across_dst_days(month, days):
    agent = schedule(tz="America/New_York", work={"days": EVERY_DAY, "start": "09:00", "end": "17:00"})
    for day in days:
        prompts = plan_prompts(agent, *local_day(NY, 2026, month, day))
        assert walls(prompts, NY) == DEFAULT_DAY


def test_new_york_day_shift_moves_one_utc_hour_across_spring_forward():
    agent = schedule(tz="America/New_York", work={"days": EVERY_DAY, "start": "09:00", "end": "17:00"})
    saturday = plan_prompts(agent, *local_day(NY, 2026, 3, 7))
    sunday = plan_prompts(agent, *local_day(NY, 2026, 3, 8))
    assert saturday[0].due_at == datetime(2026, 3, 7, 14, 55, tzinfo=UTC) + J  # 09:55 EST
    assert sunday[0].due_at == datetime(2026, 3, 8, 13, 55, tzinfo=UTC) + J  # 09:55 EDT


def night_in_new_york(day_of_week, month, day):
    agent = schedule(tz="America/New_York", work={"days": [day_of_week], "start": "22:00", "end": "06:00"})
    start = datetime(2026, month, day, 12, tzinfo=NY)
    return plan_prompts(agent, start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC))


def test_new_york_ordinary_night_shift_matches_the_hand_computed_plan():
    prompts = night_in_new_york(6, 2, 28)
    assert walls(prompts, NY) == DEFAULT_NIGHT


def test_new_york_spring_forward_night_fires_the_skipped_hour_once_at_the_jump():
    # 2026-03-08 02:00 EST jumps to 03:00 EDT: the 02:05 breathing prompt fires at the jump, the
    # 02:35 break would land on the same instant and is dropped rather than doubled.
    prompts = night_in_new_york(6, 3, 7)
    expected = [slot for slot in DEFAULT_NIGHT if slot not in (("breathing", "02:05"), ("break", "02:35"))]
    jump = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    at_jump = [p for p in prompts if jump <= p.due_at < jump + timedelta(minutes=1)]
    assert [p.kind for p in at_jump] == ["breathing"]
    assert walls([p for p in prompts if p not in at_jump], NY) == expected
    assert len(prompts) == 10 and len({p.due_at for p in prompts}) == 10
    assert prompts[0].due_at >= datetime(2026, 3, 8, 3, 0, tzinfo=UTC)  # 22:00 EST
    assert prompts[-1].valid_until <= datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # 06:00 EDT
    assert {p.due_at.astimezone(NY).utcoffset() for p in prompts[5:]} == {timedelta(hours=-4)}


def test_new_york_fall_back_night_uses_the_first_repeated_hour_only():
    # 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:40 happens twice, the prompt fires once (EDT)
    prompts = night_in_new_york(6, 10, 31)
    assert walls(prompts, NY) == DEFAULT_NIGHT
    by_wall = {wall: p for wall, p in zip(walls(prompts, NY), prompts)}
    assert by_wall[("break", "01:40")].due_at == datetime(2026, 11, 1, 5, 40, tzinfo=UTC) + J
    assert by_wall[("breathing", "02:05")].due_at == datetime(2026, 11, 1, 7, 5, tzinfo=UTC) + J
    assert len({p.due_at for p in prompts}) == 11


def test_naive_window_is_refused():
    with pytest.raises(ValueError):
        plan_prompts(schedule(), datetime(2026, 3, 2), datetime(2026, 3, 3, tzinfo=UTC))


def test_work_hours_that_start_and_end_together_are_refused():
    with pytest.raises(ValueError):
        plan_prompts(schedule(work={"days": WEEKDAYS, "start": "09:00", "end": "09:00"}), *local_day(SH, 2026, 3, 2))


# Tough calls: Monday 2026-03-02 in Shanghai, 09:00-17:00 with a 12:00-13:00 quiet lunch
def at(hour, minute, day=2):
    return datetime(2026, 3, day, hour, minute, tzinfo=SH)


def tough(hour, minute, day=2, abusive=False):
    return CallEvent(ended_at=at(hour, minute, day), complaint=not abusive, abusive=abusive)


def calm(hour, minute, day=2):
    return CallEvent(ended_at=at(hour, minute, day), complaint=False, abusive=False)


def decide(now, calls, agent=None, **kwargs):
    return tough_call_prompt(now, agent or schedule(quiet=LUNCH), calls, **kwargs)


def test_two_tough_calls_in_a_row_schedule_cyclic_sighing_now():
    prompt = decide(at(10, 20), [calm(9, 50), tough(10, 5), tough(10, 18, abusive=True)])
    assert prompt is not None
    assert (prompt.kind, prompt.exercise_id, prompt.trigger) == ("breathing", "cyclic_sighing", "tough_calls")
    assert prompt.due_at == at(10, 20)
    assert prompt.valid_until == at(10, 30)


def test_one_tough_call_is_not_a_run():
    assert decide(at(10, 20), [tough(10, 18)]) is None


def test_a_calm_call_breaks_the_run():
    assert decide(at(10, 20), [tough(10, 0), calm(10, 10), tough(10, 18)]) is None


def test_threshold_comes_from_the_settings():
    calls = [tough(10, 0), tough(10, 10), tough(10, 18)]
    three = schedule(quiet=LUNCH, after_tough_calls={"enabled": True, "threshold": 3})
    assert decide(at(10, 20), calls[1:], three) is None
    assert decide(at(10, 20), calls, three) is not None


def test_disabled_tough_call_prompts_never_fire():
    off = schedule(quiet=LUNCH, after_tough_calls={"enabled": False, "threshold": 2})
    assert decide(at(10, 20), [tough(10, 5), tough(10, 18)], off) is None


def test_cooldown_holds_back_a_second_prompt():
    calls = [tough(10, 5), tough(10, 10), tough(10, 18)]
    assert decide(at(10, 20), calls, last_tough_prompt_at=at(10, 0)) is None
    assert decide(at(10, 20), calls, last_tough_prompt_at=at(9, 45)) is not None
    assert decide(at(10, 20), calls, last_tough_prompt_at=at(10, 0), cooldown=timedelta(minutes=15)) is not None


def test_calls_answered_by_the_last_prompt_do_not_count_again():
    assert decide(at(10, 20), [tough(9, 35), tough(10, 18)], last_tough_prompt_at=at(9, 40)) is None


def test_a_run_reported_too_late_is_left_alone():
    assert decide(at(10, 20), [tough(10, 0), tough(10, 5)]) is None  # last call 15 minutes ago


def test_calls_from_hours_ago_are_not_part_of_the_run():
    assert decide(at(10, 20), [tough(8, 10), tough(10, 18)]) is None


def test_calls_reported_from_the_future_are_ignored():
    assert decide(at(10, 20), [tough(10, 18), tough(10, 25)]) is None


def test_no_tough_call_prompt_outside_work_hours_or_in_quiet_hours():
    assert decide(at(18, 0), [tough(17, 50), tough(17, 55)]) is None
    assert decide(at(12, 20), [tough(12, 10), tough(12, 15)]) is None
    assert decide(at(10, 20, day=7), [tough(10, 5, day=7), tough(10, 18, day=7)]) is None  # Saturday


def test_tough_call_prompt_validity_stops_at_quiet_hours():
    prompt = decide(at(11, 55), [tough(11, 40), tough(11, 52)])
    assert prompt.valid_until == at(12, 0)


def test_tough_call_prompt_respects_the_daily_cap():
    full_day = [at(9, 0) + timedelta(minutes=30 * n) for n in range(12)]  # 09:00 .. 14:30
    assert decide(at(16, 20), [tough(16, 5), tough(16, 18)], existing_due=full_day) is None
    assert decide(at(16, 20), [tough(16, 5), tough(16, 18)], existing_due=full_day[1:]) is not None


def test_tough_call_prompt_keeps_its_distance_from_other_prompts():
    calls = [tough(10, 5), tough(10, 18)]
    assert decide(at(10, 20), calls, existing_due=[at(10, 30)]) is None
    assert decide(at(10, 20), calls, existing_due=[at(10, 8)]) is None
    assert decide(at(10, 20), calls, existing_due=[at(10, 35)]) is not None


def test_tough_call_prompt_in_a_night_shift_after_midnight():
    night = schedule(work={"days": [1], "start": "22:00", "end": "06:00"})
    prompt = decide(at(2, 20, day=3), [tough(2, 5, day=3), tough(2, 18, day=3)], night)
    assert prompt is not None and prompt.due_at == at(2, 20, day=3)
