"""The demo organization comes with consents and counseling cases at different stages."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.counseling.helpers import API
from wellbeing import demo
from wellbeing.core.clock import utcnow
from wellbeing.core.db import db
from wellbeing.models import Consent, User


def _login(client, email):
    token = client.post(f"{API}/auth/token", json={"email": email, "password": demo.DEMO_PASSWORD}).json
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_demo_has_consents_cases_and_appointments(app, client, session):
    with app.app_context():
        demo.seed_demo(db.session, utcnow())
        db.session.remove()
    agents = session.scalar(select(func.count()).select_from(User).where(User.role == "agent"))
    assert session.scalar(select(func.count()).select_from(Consent)) == agents == 95
    hr = _login(client, "hr@demo.example")
    cases = client.get(f"{API}/counseling/cases", headers=hr).json["items"]
    assert sorted((c["opened_by"], c["status"]) for c in cases) == [
        ("agent", "closed"), ("agent", "open"), ("agent", "open"), ("alert", "open"), ("hr", "open")]
    states = {a["state"] for c in cases for a in client.get(f"{API}/counseling/cases/{c['id']}", headers=hr).json["appointments"]}
    assert states == {"proposed", "accepted", "declined", "reschedule_requested", "completed", "no_show"}
    mine = client.get(f"{API}/me/counseling", headers=_login(client, "agent1-1@demo.example")).json["items"]
    assert [a["state"] for a in mine[0]["appointments"]] == ["proposed"]
    assert mine[0]["appointments"][0]["starts_at_local"].endswith(("+08:00", "-05:00", "-04:00", "+00:00", "+01:00"))
