"""Every wire model and module-level adapter builds its schema.

Wire models are ``WireModel`` (``defer_build``) and adapters come from ``wire_adapter``,
so importing a connector builds no validator: a schema mistake (an unresolvable
annotation, a type pydantic cannot validate) would otherwise surface only when a
listing first validates a page. This builds every one of them up front.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from pydantic import BaseModel, TypeAdapter
from pydantic.errors import PydanticUndefinedAnnotation
from pydantic_core import SchemaValidator

from reposix import WireModel

WIRE_MODULES = [
    *(
        f"reposix_{name}.wire"
        for name in ("github", "jira", "confluence", "gitlab", "bitbucket", "linear", "rhythm")
    ),
    "reposix.sim._backend",
    "reposix._records",
    "reposix._pagination.base",
]


@pytest.mark.parametrize("module_name", WIRE_MODULES)
def test_every_model_and_adapter_builds(module_name: str) -> None:
    module = importlib.import_module(module_name)
    # Models it imports from elsewhere (Record in the simulator) are built too: harmless.
    models = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj not in (BaseModel, WireModel)
    ]
    adapters = [obj for obj in vars(module).values() if isinstance(obj, TypeAdapter)]
    assert models, f"{module_name} defines no pydantic model"
    for model in models:
        model.model_rebuild(force=True, raise_errors=True)
        assert isinstance(model.__pydantic_validator__, SchemaValidator), model
    for adapter in adapters:
        adapter.rebuild(force=True, raise_errors=True)
        assert isinstance(adapter.validator, SchemaValidator), adapter


def test_a_wire_models_mistake_surfaces_when_built() -> None:
    """What the test above relies on: a deferred model imports fine and fails its build."""

    class Broken(WireModel):
        field: Undefined  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(PydanticUndefinedAnnotation, match="Undefined"):
        Broken.model_rebuild(force=True, raise_errors=True)
