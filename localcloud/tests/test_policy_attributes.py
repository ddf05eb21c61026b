"""resolve_policy_attributes: the DeletionPolicy / UpdateReplacePolicy Refs LanguageExtensions
resolves in AWS, resolved before samtranslator and moto see the template."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.deploy.policy_attributes import PolicyAttributeError, resolve_policy_attributes


def _template(policy: Any) -> dict[str, Any]:
    return {
        "Parameters": {"Policy": {"Type": "String"}},
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "DeletionPolicy": policy,
                "UpdateReplacePolicy": policy,
            },
            "Role": {"Type": "AWS::IAM::Role"},
        },
    }


def test_a_ref_to_a_parameter_becomes_its_value() -> None:
    original = _template({"Ref": "Policy"})
    resolved = resolve_policy_attributes(original, {"Policy": "Retain"})

    table = resolved["Resources"]["Table"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert "DeletionPolicy" not in resolved["Resources"]["Role"]
    assert original["Resources"]["Table"]["DeletionPolicy"] == {"Ref": "Policy"}  # a copy


def test_literals_are_kept() -> None:
    resolved = resolve_policy_attributes(_template("Delete"), {})
    assert resolved["Resources"]["Table"]["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("policy", "parameters", "message"),
    [
        ({"Ref": "Missing"}, {}, "Table.DeletionPolicy: Ref to 'Missing'"),
        ({"Fn::If": ["IsProd", "Retain", "Delete"]}, {}, "Table.DeletionPolicy: the local cloud"),
    ],
)
def test_what_it_cannot_resolve_is_refused_by_name(
    policy: Any, parameters: dict[str, str], message: str
) -> None:
    with pytest.raises(PolicyAttributeError, match=message):
        resolve_policy_attributes(_template(policy), parameters)
