"""`make run` seeds the demo agency and its decisions waiting for a signature: on SQLite
and on PostgreSQL alike (PostgreSQL once refused the demo route's signing prefix)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.core.db import session
from backend.core.errors import ValidationFailed
from backend.documents.models import Document
from backend.workflow.models import RouteStep, StepAssignment, StepKind


def test_the_demo_decisions_are_seeded_and_wait_for_the_vice_chairman(app):
    from backend.demo import seed_demo_documents
    from backend.org.models import User
    from backend.org.seed import seed_demo

    with app.app_context():
        seed_demo("mat-khau-demo")
        assert seed_demo_documents() == 4
        assert seed_demo_documents() == 0  # once only
        s = session()
        assert len(s.scalars(select(Document)).all()) == 4
        sign_steps = s.scalars(select(RouteStep).where(RouteStep.kind == StepKind.SIGN)).all()
        assert [step.signing_prefix for step in sign_steps] == ["KT."] * 4
        signer = s.scalar(select(User).where(User.username == "phochutich1"))
        waiting = s.scalars(
            select(StepAssignment).where(
                StepAssignment.user_id == signer.id, StepAssignment.status == "waiting"
            )
        ).all()
        assert len(waiting) == 3  # three reviewed by the head; the fourth waits for review


def test_a_route_keeps_only_a_known_signing_prefix(app, world):
    from backend.org.models import User
    from backend.workflow import service as workflow
    from tests.conftest import upload_document

    client = app.test_client()
    doc = upload_document(client, world["specialist"]).json
    steps = [
        {
            "kind": "sign",
            "actors": [{"user_id": world["leader"].id}],
            "signing_prefix": "KT. CHỦ TỊCH",
        }
    ]
    with app.app_context():
        drafter = session().get(User, world["specialist"].id)
        with pytest.raises(ValidationFailed) as refused:
            workflow.set_route(drafter, doc["id"], doc["etag"], steps=steps, template_id=None)
    assert "steps.0.signing_prefix" in refused.value.extra["errors"]
    # the API says the same, with a 422 naming the field
    r = client.put(
        f"/api/documents/{doc['id']}/route",
        json={"steps": steps},
        headers={**world["specialist"].headers, "If-Match": doc["etag"]},
    )
    assert r.status_code == 422 and "steps" in r.json["errors"]
