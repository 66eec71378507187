"""The JSON Schema gate: a stage's ``gate`` is a schema the deal's data must satisfy to enter it."""
from __future__ import annotations

from goldsieve import hookimpl
from goldsieve.errors import Violation
from goldsieve.funnels.model import Funnel, Stage
from goldsieve.funnels.validation import violations


@hookimpl
def goldsieve_gate_check(funnel: Funnel, deal: dict, target: Stage, user: dict) -> list[Violation]:
    found: list[Violation] = []
    data = deal["data"]
    for stage in funnel.gates_to_enter(target, data):
        for violation in violations(stage.gate_validator, data):
            if violation.code == "required":
                name = violation.path.rsplit("/", 1)[-1]
                violation = Violation(
                    violation.path, "required",
                    f"“{funnel.property_title(name)}” is required to enter “{stage.label()}”.",
                )
            if all(v.path != violation.path or v.code != violation.code for v in found):
                found.append(violation)
    return found
