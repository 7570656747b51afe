"""The matrix reports coverage honestly: declared-away invariants and uncarried fields show."""

from __future__ import annotations

import json

from reposix_contract._registry import invariants
from reposix_contract._report import Matrix
from reposix_contract._runner import Outcome


def test_coverage_names_uncarried_fields_and_declared_invariants() -> None:
    suite = invariants()[:3]
    matrix = Matrix()
    matrix.add(suite[0], Outcome("pass", "", suite[0].id, "x", uncarried=("assignee",)))
    matrix.add(suite[1], Outcome("n/a", "declared", suite[1].id, "x", declared=("create",)))
    matrix.add(suite[2], Outcome("FAIL", "boom", suite[2].id, "x", uncarried=("assignee",)))
    cov = matrix.coverage("x")
    assert (cov.passed, cov.failed, cov.declared) == (1, 1, 1)
    assert cov.describe() == "coverage 2/3 (1 declared away); does not carry: assignee"
    text = matrix.render_text()
    assert "x: FAIL — 1 pass, 1 FAIL, 1 n/a (declared)" in text
    assert matrix.failed
    assert "does not carry: assignee" in matrix.render_markdown()
    assert "assignee" in json.dumps(matrix.to_json())
