"""Streaming (SSE) parsing: what a stream of bytes at given times means for TTFT, ITL and tokens."""

import json

import pytest

from ansible_collections.privateai.deepseek.plugins.module_utils.benchmark_sse import (
    CONNECTION_ERROR,
    MALFORMED_STREAM,
    SERVER_ERROR_EVENT,
    RequestRecord,
    StreamParser,
    error_message_from_body,
)


def event(obj, newline=b"\n"):
    return b"data: " + json.dumps(obj).encode() + newline + newline


def delta(text=None, role=None, reasoning=None):
    d = {}
    if role:
        d["role"] = role
    if text is not None:
        d["content"] = text
    if reasoning is not None:
        d["reasoning_content"] = reasoning
    return event({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": d}]})


def usage(completion, prompt=12):
    return event({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})


DONE = b"data: [DONE]\n\n"


def parse(*reads, api="chat"):
    """Feed (time, bytes) reads, then end the stream after the last."""
    parser = StreamParser(api)
    for now, data in reads:
        parser.feed(data, now)
    parser.finish(reads[-1][0] if reads else 0.0)
    return parser


# A chat stream as vLLM sends it: role first, tokens, an empty EOS delta, usage, [DONE];
# plus a keep-alive comment and a CRLF event.
SAMPLE_EVENTS = [
    b": keep-alive\n\n",
    delta(text="", role="assistant"),
    delta(reasoning="Let me think"),
    delta(text="Hello"),
    b'data: {"choices":[{"index":0,"delta":{"content":" big world"}}]}\r\n\r\n',
    delta(text=""),
    usage(5),
    DONE,
]
SAMPLE = b"".join(SAMPLE_EVENTS)


def test_tokens_and_timing_one_read_per_event():
    reads = [(1.0 + i, piece) for i, piece in enumerate(SAMPLE_EVENTS)]
    # comment 1.0, role 2.0, reasoning 3.0, Hello 4.0, world (CRLF) 5.0, empty 6.0, usage 7.0, DONE 8.0
    parser = parse(*reads)

    assert parser.first_token_at == 3.0  # reasoning counts as output; the role does not
    assert parser.itl == [1.0, 1.0, 1.0]
    assert parser.last_token_at == 6.0  # the usage chunk does not move the end
    assert parser.token_chunks == 4
    assert (parser.completion_tokens, parser.prompt_tokens) == (5, 12)
    assert parser.done and parser.error is None


def test_several_events_in_one_read_share_its_time():
    parser = parse((1.0, delta(text="a") + delta(text="b") + delta(text="c")), (2.0, usage(3) + DONE))

    assert parser.first_token_at == 1.0 and parser.itl == [0.0, 0.0]
    assert parser.token_chunks == 3 and parser.done


@pytest.mark.parametrize("offset", range(1, len(SAMPLE)))
def test_split_at_every_byte_offset_gives_the_same_stream(offset):
    parser = parse((1.0, SAMPLE[:offset]), (2.0, SAMPLE[offset:]))

    assert parser.token_chunks == 4
    assert (parser.completion_tokens, parser.prompt_tokens) == (5, 12)
    assert parser.done and parser.error is None
    # An event completes in the read that brings its blank line, never earlier.
    first_complete = SAMPLE.index(b"\n\n", SAMPLE.index(b"Let me think")) + 2
    assert parser.first_token_at == (1.0 if offset >= first_complete else 2.0)
    assert parser.first_token_at + sum(parser.itl) == parser.last_token_at


def test_one_byte_at_a_time():
    parser = parse(*[(float(i), SAMPLE[i : i + 1]) for i in range(len(SAMPLE))])

    assert parser.token_chunks == 4 and parser.done and parser.completion_tokens == 5
    # Each event completes with its final newline byte.
    assert parser.first_token_at == float(SAMPLE.index(b"\n\n", SAMPLE.index(b"Let me think")) + 1)


def test_several_tokens_in_one_chunk_count_from_usage():
    record = RequestRecord(start=0.0)
    parser = parse((0.5, delta(text="three tokens here")), (0.9, usage(3) + DONE))

    record.complete_from(parser)

    assert record.success and record.output_tokens == 3 and record.token_count_source == "usage"
    assert record.ttft == 0.5 and record.latency == 0.5 and record.itl == []


def test_without_usage_tokens_are_counted_per_chunk():
    record = RequestRecord(start=0.0, prompt_tokens=100)
    parser = parse((0.5, delta(text="a")), (0.7, delta(text="b") + DONE))

    record.complete_from(parser)

    assert record.output_tokens == 2 and record.token_count_source == "chunks"
    assert record.prompt_tokens == 100 and record.prompt_token_source == "requested"
    assert record.ttft == 0.5 and record.latency == 0.7 and record.itl == [pytest.approx(0.2)]


def test_usage_prompt_tokens_replace_the_requested_length():
    record = RequestRecord(start=0.0, prompt_tokens=100)
    record.complete_from(parse((0.5, delta(text="a") + usage(1, prompt=97) + DONE)))
    assert record.prompt_tokens == 97 and record.prompt_token_source == "usage"


def test_usage_in_every_chunk_keeps_the_last():
    chunk = {
        "choices": [{"index": 0, "delta": {"content": "x"}}],
        "usage": {"prompt_tokens": 4, "completion_tokens": 1},
    }
    last = dict(chunk, usage={"prompt_tokens": 4, "completion_tokens": 2})
    parser = parse((1.0, event(chunk)), (2.0, event(last) + DONE))
    assert parser.completion_tokens == 2 and parser.token_chunks == 2


def test_done_ends_the_stream_and_later_bytes_are_ignored():
    parser = parse((1.0, delta(text="a") + DONE + delta(text="ignored")))
    assert parser.done and parser.token_chunks == 1


def test_empty_choices_without_usage_are_ignored():
    parser = parse((1.0, event({"choices": []}) + delta(text="a")), (2.0, event({"choices": []}) + DONE))
    assert parser.token_chunks == 1 and parser.last_token_at == 1.0 and parser.completion_tokens is None


def test_keep_alive_comments_between_tokens():
    parser = parse((1.0, delta(text="a") + b": ping\n\n"), (2.0, b":\n\n" + delta(text="b") + DONE))
    assert parser.token_chunks == 2 and parser.itl == [1.0] and parser.error is None


def test_crlf_everywhere():
    stream = (delta(text="a") + delta(text="b") + DONE).replace(b"\n", b"\r\n")
    parser = parse((1.0, stream[:7]), (2.0, stream[7:]))
    assert parser.token_chunks == 2 and parser.done


def test_data_without_space_after_colon():
    parser = parse((1.0, b'data:{"choices":[{"index":0,"text":"x"}]}\n\ndata:[DONE]\n\n'), api="completions")
    assert parser.token_chunks == 1 and parser.done


def test_completions_api_reads_text():
    stream = (
        event({"choices": [{"index": 0, "text": ""}]})
        + event({"choices": [{"index": 0, "text": "Once"}]})
        + event({"choices": [{"index": 0, "text": " upon"}]})
        + usage(2)
        + DONE
    )
    parser = parse((1.0, stream[:40]), (2.0, stream[40:]), api="completions")

    assert parser.token_chunks == 2 and parser.first_token_at == 2.0 and parser.completion_tokens == 2


def test_chat_delta_in_a_completions_stream_is_not_text():
    parser = parse((1.0, delta(text="a") + DONE), api="completions")
    assert parser.first_token_at is None


def test_error_object_mid_stream():
    stream = delta(text="a") + event({"error": {"message": "engine died", "type": "InternalError", "code": 500}}) + DONE
    parser = parse((1.0, stream))

    assert parser.error == (SERVER_ERROR_EVENT, "engine died")
    record = RequestRecord(start=0.0).complete_from(parser)
    assert not record.success and record.category == SERVER_ERROR_EVENT


def test_error_in_the_older_vllm_shape_and_as_an_error_event():
    old = parse((1.0, event({"object": "error", "message": "too long", "code": 400})))
    assert old.error == (SERVER_ERROR_EVENT, "too long")
    typed = parse((1.0, b'event: error\ndata: {"message": "overloaded"}\n\n'))
    assert typed.error == (SERVER_ERROR_EVENT, "overloaded")


def test_invalid_json_is_a_malformed_stream():
    parser = parse((1.0, delta(text="a") + b"data: {not json\n\n" + DONE))

    assert parser.error[0] == MALFORMED_STREAM and "{not json" in parser.error[1]
    assert RequestRecord().complete_from(parser).category == MALFORMED_STREAM


def test_events_separated_by_single_newlines_still_parse():
    stream = (
        b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n'
        b'data: {"choices":[{"index":0,"delta":{"content":"b"}}]}\n'
        b"data: [DONE]\n\n"
    )
    parser = parse((1.0, stream))
    assert parser.token_chunks == 2 and parser.done and parser.error is None


def test_last_event_without_blank_line_at_end_of_stream():
    parser = parse((1.0, delta(text="a") + b"data: [DONE]"))
    assert parser.done


def test_stream_cut_before_done_fails_as_connection_error():
    record = RequestRecord(start=0.0).complete_from(parse((1.0, delta(text="a") + delta(text="b"))))
    assert record.category == CONNECTION_ERROR and "2 chunks" in record.message


def test_stream_without_any_token_fails():
    record = RequestRecord(start=0.0).complete_from(parse((1.0, delta(text="", role="assistant") + DONE)))
    assert record.category == MALFORMED_STREAM
    nothing = RequestRecord(start=0.0).complete_from(parse((1.0, b"")))
    assert nothing.category == CONNECTION_ERROR


def test_error_bodies_read_for_people():
    assert error_message_from_body(b'{"error": {"message": "model not found", "code": 404}}') == "model not found"
    assert error_message_from_body('{"object": "error", "message": "bad"}') == "bad"
    assert error_message_from_body(b"<html>502 Bad Gateway</html>") == "<html>502 Bad Gateway</html>"
    assert len(error_message_from_body("x" * 1000)) == 300
