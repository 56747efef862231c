"""The EventBridge pattern matcher, on hand-made cases and on the real sample events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from event_pattern import (
    EventPattern,
    PatternError,
    UnsupportedPatternError,
    load_patterns,
    matches,
)

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-samples"

# Line numbers (1-based) of the "... via CloudTrail" envelopes in events.jsonl.
CLOUDTRAIL_LINES = {43, 48, 50, 56}


def sample_events() -> list[dict]:
    lines = (SAMPLES / "eventbridge" / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def patterns() -> dict[str, EventPattern]:
    return load_patterns()


# -- our two patterns --------------------------------------------------------------------


def test_cloudtrail_pattern_selects_known_samples(patterns):
    pattern = patterns["aws-cloudtrail-events"]
    matched = {number for number, event in enumerate(sample_events(), 1) if pattern.matches(event)}
    assert matched == CLOUDTRAIL_LINES


def test_application_pattern_rejects_all_samples(patterns):
    # Every sample comes from AWS, including the aws.partner/... SaaS event on line 38.
    pattern = patterns["application-events"]
    matched = [number for number, event in enumerate(sample_events(), 1) if pattern.matches(event)]
    assert matched == []


@pytest.mark.parametrize("source", ["com.example.orders", "myapp", "AWS.s3", "awsx.s3", "aws"])
def test_application_pattern_accepts_own_sources(patterns, source):
    event = {"source": source, "detail-type": "Order Placed", "detail": {}}
    assert patterns["application-events"].matches(event)


@pytest.mark.parametrize("source", ["aws.s3", "aws.", "aws.partner/example.com/1/x"])
def test_application_pattern_rejects_aws_sources(patterns, source):
    event = {"source": source, "detail-type": "Order Placed", "detail": {}}
    assert not patterns["application-events"].matches(event)


def test_application_pattern_rejects_missing_source(patterns):
    assert not patterns["application-events"].matches({"detail-type": "x", "detail": {}})


def test_cloudtrail_pattern_rejects_insight(patterns):
    event = {"source": "aws.cloudtrail", "detail-type": "AWS Insight via CloudTrail"}
    assert not patterns["aws-cloudtrail-events"].matches(event)


def test_cloudtrail_pattern_rejects_custom_source(patterns):
    event = {"source": "com.example", "detail-type": "AWS API Call via CloudTrail"}
    assert not patterns["aws-cloudtrail-events"].matches(event)


# -- matching rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        # exact values
        ({"a": ["x"]}, {"a": "x"}, True),
        ({"a": ["x"]}, {"a": "y"}, False),
        ({"a": ["x", "y"]}, {"a": "y"}, True),
        ({"a": ["x"]}, {}, False),
        ({"a": [300]}, {"a": 300.0}, True),
        ({"a": [300]}, {"a": "300"}, False),
        ({"a": [True]}, {"a": True}, True),
        ({"a": [True]}, {"a": 1}, False),
        ({"a": [1]}, {"a": True}, False),
        ({"a": [None]}, {"a": None}, True),
        ({"a": [None]}, {}, False),
        ({"a": [""]}, {"a": ""}, True),
        # prefix
        ({"a": [{"prefix": "us-"}]}, {"a": "us-east-1"}, True),
        ({"a": [{"prefix": "us-"}]}, {"a": "eu-west-1"}, False),
        ({"a": [{"prefix": "1"}]}, {"a": 12}, False),
        ({"a": [{"prefix": ""}]}, {"a": "anything"}, True),
        # anything-but
        ({"a": [{"anything-but": "x"}]}, {"a": "y"}, True),
        ({"a": [{"anything-but": "x"}]}, {"a": "x"}, False),
        ({"a": [{"anything-but": "x"}]}, {}, False),
        ({"a": [{"anything-but": ["x", "y"]}]}, {"a": "y"}, False),
        ({"a": [{"anything-but": ["x", "y"]}]}, {"a": "z"}, True),
        ({"a": [{"anything-but": 5}]}, {"a": 5.0}, False),
        ({"a": [{"anything-but": 5}]}, {"a": "5"}, True),
        ({"a": [{"anything-but": {"prefix": "aws."}}]}, {"a": "aws.s3"}, False),
        ({"a": [{"anything-but": {"prefix": "aws."}}]}, {"a": "app"}, True),
        # exists, which ignores the value
        ({"a": [{"exists": True}]}, {"a": None}, True),
        ({"a": [{"exists": True}]}, {}, False),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"exists": False}]}, {"a": "x"}, False),
        ({"a": [{"exists": True}]}, {"a": {"b": 1}}, False),
        ({"a": {"b": [{"exists": False}]}}, {}, True),
        ({"a": {"b": [{"exists": False}]}}, {"a": "scalar"}, True),
        # nested objects
        ({"a": {"b": ["x"]}}, {"a": {"b": "x"}}, True),
        ({"a": {"b": ["x"]}}, {"a": {"b": "y"}}, False),
        ({"a": {"b": ["x"]}}, {"a": "x"}, False),
        ({"a": {"b": ["x"]}}, {}, False),
        ({"a": ["x"], "b": ["y"]}, {"a": "x", "b": "y"}, True),
        ({"a": ["x"], "b": ["y"]}, {"a": "x", "b": "z"}, False),
        # arrays in the event
        ({"a": ["x"]}, {"a": ["w", "x"]}, True),
        ({"a": ["x"]}, {"a": ["w", "y"]}, False),
        ({"a": ["x"]}, {"a": []}, False),
        ({"a": [{"exists": False}]}, {"a": []}, True),
        ({"a": [{"prefix": "arn:"}]}, {"a": ["id", "arn:aws:s3:::b"]}, True),
        ({"a": [{"anything-but": "x"}]}, {"a": ["x", "y"]}, True),
        ({"a": [{"anything-but": "x"}]}, {"a": ["x"]}, False),
        ({"a": {"b": ["x"]}}, {"a": [{"b": "y"}, {"b": "x"}]}, True),
        ({"a": {"b": ["x"], "c": ["z"]}}, {"a": [{"b": "x"}, {"c": "z"}]}, False),
        # an empty pattern matches every event
        ({}, {"a": 1}, True),
    ],
)
def test_matches_case(pattern, event, expected):
    assert matches(pattern, event) is expected


# -- invalid and unsupported patterns -------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        {"a": [{"suffix": ".png"}]},
        {"a": [{"numeric": [">", 0]}]},
        {"a": [{"equals-ignore-case": "x"}]},
        {"a": [{"cidr": "10.0.0.0/8"}]},
        {"a": [{"wildcard": "*x"}]},
        {"a": [{"anything-but": {"suffix": ".png"}}]},
        {"a": [{"prefix": {"equals-ignore-case": "x"}}]},
        {"$or": [{"a": ["x"]}, {"b": ["y"]}]},
    ],
)
def test_unsupported_operator_raises(pattern):
    with pytest.raises(UnsupportedPatternError):
        EventPattern(pattern)


def test_unsupported_operator_message_names_it():
    with pytest.raises(UnsupportedPatternError, match=r"detail\.size: operator 'numeric'"):
        EventPattern({"detail": {"size": [{"numeric": [">", 0]}]}})


@pytest.mark.parametrize(
    "pattern",
    [
        {"a": []},
        {"a": "x"},
        {"a": 1},
        {"a": [["x"]]},
        {"a": [{"prefix": "x", "exists": True}]},
        {"a": [{"exists": "yes"}]},
        {"a": [{"anything-but": []}]},
        {"a": [{"anything-but": [None]}]},
        ["a"],
    ],
)
def test_invalid_pattern_raises(pattern):
    with pytest.raises(PatternError):
        EventPattern(pattern)


def test_unsupported_pattern_is_pattern_error():
    assert issubclass(UnsupportedPatternError, PatternError)


def test_load_patterns_names_bad_entry(tmp_path):
    path = tmp_path / "patterns.json"
    path.write_text(json.dumps({"good": {"a": ["x"]}, "bad": {"a": [{"numeric": [">", 1]}]}}))
    with pytest.raises(UnsupportedPatternError, match="pattern 'bad'"):
        load_patterns(path)


def test_load_patterns_reads_project_file():
    assert set(load_patterns()) == {"application-events", "aws-cloudtrail-events"}
