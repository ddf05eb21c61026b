"""The mapping-template helpers ($util, $input, $context) and airspeed rendering, without HTTP."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from tests.apigw.apigw_support import inbox_outbox_definition

from localcloud.apigw.vtl import (
    ResponseOverride,
    TemplateError,
    VtlInput,
    VtlUtil,
    escape_javascript,
    render,
    render_response,
)

UTIL = VtlUtil()


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("a b", "a+b"),
        ("a+b&c=d", "a%2Bb%26c%3Dd"),
        ("*-._~", "*-._%7E"),  # java.net.URLEncoder keeps "*" and encodes "~"
        ("é✓", "%C3%A9%E2%9C%93"),
        ('{"k": "v"}', "%7B%22k%22%3A+%22v%22%7D"),
    ],
)
def test_url_encode_is_java_url_encoder(text: str, encoded: str) -> None:
    assert UTIL.urlEncode(text) == encoded
    assert UTIL.urlDecode(encoded) == text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("it's", "it\\'s"),
        ('say "hi"', 'say \\"hi\\"'),
        ("a/b\\c", "a\\/b\\\\c"),
        ("line\nbreak\ttab\r", "line\\nbreak\\ttab\\r"),
        ("\x01", "\\u0001"),
        ("é", "\\u00E9"),
        ("✓", "\\u2713"),
        ("🚀", "\\uD83D\\uDE80"),  # UTF-16 surrogates, as Java strings hold it
    ],
)
def test_escape_javascript_is_commons_lang(text: str, escaped: str) -> None:
    assert escape_javascript(text) == escaped


def test_base64_round_trip_is_utf8() -> None:
    assert UTIL.base64Encode("héllo") == "aMOpbGxv"
    assert UTIL.base64Decode("aMOpbGxv") == "héllo"


def test_parse_json_gives_maps_with_java_methods() -> None:
    rendered = render(
        "#set($o = $util.parseJson($input.body))$o.name $o.tags.size() $o.keySet().size()",
        input_=VtlInput('{"name": "n", "tags": ["a", "b"]}', {}),
    )

    assert rendered == "n 2 2"


def test_input_path_json_and_params() -> None:
    input_ = VtlInput(
        '{"a": {"b": [1, 2], "s": "x\\"y"}}',
        {"path": {"id": "7"}, "querystring": {"q": "z"}, "header": {"H": "h"}},
    )

    rendered = render(
        "$input.path('$.a.s')|$input.json('$.a.b')|$input.json('$.a.s')|"
        "$input.params('id')$input.params('q')$input.params('H')|$input.params('nope')|"
        "$input.params().querystring.get('q')|$input.path('$.a.b')|$input.path('$.a').b",
        input_=input_,
    )

    assert rendered == 'x"y|[1,2]|"x\\"y"|7zh||z|[1,2]|[1,2]'


def test_maps_print_like_java() -> None:
    assert render("$input.path('$')", input_=VtlInput('{"a": 1, "b": true}', {})) == (
        "{a=1, b=true}"
    )


def test_context_values_render() -> None:
    assert (
        render(
            "$context.requestId/$context.identity.sourceIp",
            context={"requestId": "r-1", "identity": {"sourceIp": "10.0.0.1"}},
        )
        == "r-1/10.0.0.1"
    )


def test_a_broken_template_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        render("#if($x", input_=VtlInput("", {}))


def test_the_inbox_templates_round_trip_through_a_form_body() -> None:
    """The template's SQS request template yields a form body whose MessageBody is the exact
    payload; its response template picks the MessageId out of SQS's JSON answer."""
    integration = inbox_outbox_definition()["paths"]["/inbox"]["post"][
        "x-amazon-apigateway-integration"
    ]
    payload = json.dumps({"id": "x", "message": "a&b=c+d %20 ✓ 🚀 \"q\" 'q'"}, ensure_ascii=False)

    form = render(integration["requestTemplates"]["application/json"], input_=VtlInput(payload, {}))
    answer = json.dumps(
        {
            "SendMessageResponse": {
                "SendMessageResult": {"MessageId": "m-1", "MD5OfMessageBody": "abc"},
                "ResponseMetadata": {"RequestId": "r"},
            }
        }
    )
    reply = render(
        integration["responses"]["default"]["responseTemplates"]["application/json"],
        input_=VtlInput(answer, {}),
    )

    assert parse_qs(form, keep_blank_values=True) == {
        "Action": ["SendMessage"],
        "MessageBody": [payload],
    }
    assert json.loads(reply) == {"messageId": "m-1"}


def test_a_response_template_overrides_status_and_headers() -> None:
    body, override = render_response(
        "#set($context.responseOverride.status = 413)"
        "#set($context.responseOverride.header.Retry-After = '3')"
        '{"id": "$context.requestId"}',
        input_=VtlInput("", {}),
        context={"requestId": "r-1"},
    )

    assert json.loads(body) == {"id": "r-1"}
    assert override == ResponseOverride(413, {"Retry-After": "3"})


def test_a_response_template_without_overrides_sets_none() -> None:
    assert render_response("x", input_=VtlInput("", {}))[1] == ResponseOverride()


@pytest.mark.parametrize("status", ["'abc'", "99", "600"])
def test_an_override_status_that_is_no_status_is_a_template_error(status: str) -> None:
    with pytest.raises(TemplateError):
        render_response(
            f"#set($context.responseOverride.status = {status})", input_=VtlInput("", {})
        )


def _inbox_reply(pattern: str, answer: object) -> tuple[object, ResponseOverride]:
    integration = inbox_outbox_definition()["paths"]["/inbox"]["post"][
        "x-amazon-apigateway-integration"
    ]
    template = integration["responses"][pattern]["responseTemplates"]["application/json"]
    body, override = render_response(template, input_=VtlInput(json.dumps(answer), {}))
    return json.loads(body), override


@pytest.mark.parametrize(
    "answer",
    [{}, {"SendMessageResponse": {"SendMessageResult": {}}}, {"Error": {"Code": "X"}}],
    ids=["empty", "no-message-id", "an-error"],
)
def test_the_inbox_200_template_answers_500_without_a_message_id(answer: object) -> None:
    assert _inbox_reply("default", answer) == (
        {"message": "Internal server error"},
        ResponseOverride(500),
    )


def test_the_inbox_4xx_template_keeps_quotes_in_sqs_reasons_valid_json() -> None:
    reason = "Invalid binary character '#x0' in \"body\" \\ /"
    document, override = _inbox_reply(
        "4\\d{2}", {"Error": {"Code": "InvalidMessageContents", "Message": reason}}
    )

    assert document == {"message": "Message has characters SQS does not accept", "detail": reason}
    assert override.status == 400
