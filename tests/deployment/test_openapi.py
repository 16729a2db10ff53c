"""/docs is a usable console: every operation has a summary, body examples and its refusals."""
import pytest

from processor.app.factory import create_app as processor_app
from requestor.app.factory import create_app as requestor_app


@pytest.mark.parametrize("make_app", [processor_app, requestor_app], ids=["processor", "requestor"])
def test_every_operation_is_documented(make_app):
    spec = make_app().openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), f"{where} has no summary"
            if path.startswith("/api/"):
                assert any(code.startswith("4") for code in operation["responses"]), f"{where} documents no refusal"
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                schema = media.get("schema", {})
                has_example = media.get("example") or media.get("examples") or schema.get("examples")
                assert has_example, f"{where} has no example body"


def test_seed_bodies_are_the_examples():
    processor, requestor = processor_app().openapi(), requestor_app().openapi()

    def examples(spec, path, method):
        media = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        return media.get("examples") or media["schema"].get("examples")

    seed_initiate = {"OrderReqId": "ORD-001", "SessionID": "SESSION-123", "Notification type": "GChat"}
    assert seed_initiate in examples(requestor, "/api/v1/initiate", "post")
    assert examples(processor, "/api/v1/proposal-submissions", "post")[0]["ProposalDictObj"]["ProposalID"] == "PROP-001"
    assert examples(requestor, "/api/v1/followup", "post")[0]["Audience"] == ["PROP-001"]
