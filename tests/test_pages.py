"""Both services' pages come with their Content-Security-Policy (their own files and API only, never
framed); every answer says not to sniff, not to be framed, not to send a Referer."""


async def test_pages_carry_their_policy_and_every_answer_its_safety_headers(requestor, processor):
    for service, path in [(requestor, "/"), (processor, "/seller/")]:
        answer = await service.http.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
        for any_answer in (answer, await service.http.get("/health"), await service.http.get("/api/v1/orders/NOPE")):
            assert any_answer.headers["x-content-type-options"] == "nosniff"
            assert any_answer.headers["x-frame-options"] == "DENY"
            assert any_answer.headers["referrer-policy"] == "no-referrer"
    assert (await processor.http.get("/common/base.css")).headers["content-type"].startswith("text/css")
