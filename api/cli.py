"""Command-line entry points: ``flask --app wsgi bootstrap | seed-demo | scheduler | release | generate-data-key | rotate-keys | diary-rollup``."""
from __future__ import annotations

import click
from flask import Flask

from wellbeing import demo

from wellbeing.org import organizations
from wellbeing.core.clock import utcnow
from wellbeing.core.crypto import generate_key
from wellbeing.core.db import db
from wellbeing.core.errors import DomainError
from wellbeing.core.timezones import is_valid_timezone
from wellbeing.trends.release import release_due_periods


def register(app: Flask) -> None:
    """Attach the commands to the app's CLI group."""

    @app.cli.command("bootstrap")
    @click.option("--org", "org_name", required=True, help="Organization name")
    @click.option("--email", required=True, help="E-mail of the first admin")
    @click.option("--password", required=True, help="Password of the first admin (10+ characters)")
    @click.option("--timezone", default="UTC", show_default=True, help="The organization's IANA time zone")
    def bootstrap(org_name: str, email: str, password: str, timezone: str) -> None:
        """Create an organization and its first admin; prints the organization id."""
        if not is_valid_timezone(timezone):
            raise click.BadParameter(f"{timezone!r} is not an IANA time zone", param_hint="--timezone")
        if len(password) < 10:
            raise click.BadParameter("use at least 10 characters", param_hint="--password")
        try:
            org = organizations.bootstrap(db.session, org_name, email, password, timezone, utcnow())
        except DomainError as error:
            raise click.ClickException(error.detail) from None
        click.echo(org.id)

    @app.cli.command("seed-demo")
    @click.option("--agents", type=click.IntRange(1, 100_000), default=None, help="Number of agents")
    @click.option("--teams", type=click.IntRange(1, 5_000), default=None, help="Number of teams")
    @click.option("--months", type=click.IntRange(0, 24), default=6, show_default=True, help="Months of history")
    @click.option("--seed", type=int, default=7, show_default=True, help="Random seed")
    def seed_demo(agents: int | None, teams: int | None, months: int, seed: int) -> None:
        """Create the demo organization (once) and print its logins."""
        from api.core.keyring import keyring

        if app.config["ENV"] == "production":
            raise click.ClickException("seed-demo creates accounts with a published password; "
                                       "it is refused when WELLBEING_ENV=production.")
        summary = demo.seed_demo(db.session, utcnow(), agents=agents, teams=teams, seed=seed, months=months,
                                 keyring=keyring())
        click.echo(("Created" if summary.created else "Found") + f" demo organization {summary.org_id}")
        click.echo(f"Every demo login uses the password: {demo.DEMO_PASSWORD}")
        for role, email, team in summary.logins:
            click.echo(f"  {role:<10} {email:<34} {team}")

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run every job once and exit")
    def scheduler(once: bool) -> None:
        """Run the scheduler process (prompts, reminders, retention) until SIGTERM."""
        from api import scheduler as jobs

        (jobs.run_once if once else jobs.run_forever)(app)
    @app.cli.command("release")
    @click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Publish only periods that end before this day (YYYY-MM-DD)")
    def release(until) -> None:
        """Publish every closed, unpublished trend period now (what the scheduler does on its own)."""
        counts = release_due_periods(db.session, None, utcnow(), until.date() if until else None)
        click.echo("Published " + (", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing new"))

    @app.cli.command("generate-data-key")
    def generate_data_key() -> None:
        """Print a new DATA_KEYS entry (put it first in DATA_KEYS to rotate)."""
        click.echo(generate_key())

    @app.cli.command("rotate-keys")
    @click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, show_default=True)
    def rotate_keys(batch_size: int) -> None:
        """Re-encrypt every stored note and webhook secret under the first DATA_KEYS key (keep old keys until it finishes)."""
        from api.core.keyring import keyring
        from wellbeing.core.db import write_intent
        from wellbeing.encrypted_columns import rotate_keys as rotate

        with write_intent():
            counts = rotate(db.session, keyring(), batch_size)
        click.echo(f"Primary key: {keyring().primary}")
        for column, count in counts.items():
            click.echo(f"  {column:<40} {count} re-encrypted")

    @app.cli.group("diary-rollup")
    def diary_rollup() -> None:
        """The diary's daily roll-up (insights read it): rebuild it from the entries, or check it against them."""

    @diary_rollup.command("rebuild")
    @click.option("--user", "user_ids", multiple=True, help="Only this user id (repeatable); default: everyone")
    def rebuild_rollup(user_ids: tuple[str, ...]) -> None:
        """Recompute the roll-up from the stored entries, in each agent's current time zone."""
        from wellbeing.core.db import write_intent
        from wellbeing.diary import rollup

        with write_intent():
            written = rollup.rebuild(db.session, list(user_ids) or None)
            db.session.commit()
        click.echo(f"Rebuilt the diary roll-up: {written} rows")

    @diary_rollup.command("check")
    @click.option("--user", "user_ids", multiple=True, help="Only this user id (repeatable); default: everyone")
    def check_rollup(user_ids: tuple[str, ...]) -> None:
        """Compare the roll-up with the entries; exit status 1 when a user's rows differ."""
        from wellbeing.diary import rollup

        found = rollup.mismatches(db.session, list(user_ids) or None)
        for user_id, rows in found.items():
            click.echo(f"  {user_id}: {rows} row(s) differ")
        if found:
            raise click.ClickException(f"{len(found)} user(s) with a roll-up that differs from their entries "
                                       "(run: flask diary-rollup rebuild)")
        click.echo("The diary roll-up matches the entries")
