"""The Rasa plumbing the carebot NLU components share: config, create, persist and load.

A ``StoredComponent`` keeps one trained object (``self._model``) in its resource of Rasa's model
storage. A subclass says how that object is written to and read from the resource directory
(``_save_model``, ``_model_reader``); the file layout is the subclass's, so models trained before
this base existed load unchanged. A missing or unreadable resource loads as ``None`` (with
``missing_model_warning`` logged, if set), never as an error.

Rasa fingerprints a component by its own class source only; ``carebot train`` hashes every
``bot/nlu/*.py`` (``bot.model.training.inputs``), so a change here still forces a retrain.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Dict, Generic, Type, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

M = TypeVar("M")
C = TypeVar("C", bound="StoredComponent[Any]")


class StoredComponent(GraphComponent, Generic[M]):
    """A graph component whose trained state is one object kept in the model storage."""

    missing_model_warning: str | None = None

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: M | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls: Type[C],
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> C:
        return cls(config, model_storage, resource)

    def _save_model(self, model: M, directory: Path) -> None:
        """Write the trained object into the (empty) resource directory."""
        raise NotImplementedError

    @classmethod
    def _model_reader(cls, config: Dict[str, Any]) -> Callable[[Path], M]:
        """How to read the trained object back from its resource directory. Called before the
        resource is opened, so a problem with the config itself (not with the stored model)
        raises instead of loading as "no model"."""
        raise NotImplementedError

    def persist(self) -> None:
        """Write the trained object (if any) to this component's resource."""
        if self._model is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            self._save_model(self._model, Path(directory))

    @classmethod
    def load(
        cls: Type[C],
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> C:
        read = cls._model_reader({**cls.get_default_config(), **config})
        try:
            with model_storage.read_from(resource) as directory:
                model = read(Path(directory))
        except (ValueError, FileNotFoundError):
            if cls.missing_model_warning:
                logging.getLogger(cls.__module__).warning(cls.missing_model_warning)
            model = None
        return cls(config, model_storage, resource, model)
