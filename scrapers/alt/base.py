"""The base of every alternative-data source: one plugin class per service, on the hub."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from tradefleet.orchestrator.services import Services
    from tradefleet.scrapers.hub import DataHub


class AltSource:
    """Plugin base of an alternative-data source (registered under tradefleet.providers)."""

    name: ClassVar[str] = ""
    api_version: ClassVar[int] = 1
    keyed: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def __init__(self, hub: DataHub) -> None:
        self.hub = hub

    @classmethod
    def from_hub(cls, hub: DataHub) -> Any:
        return cls(hub)

    @classmethod
    def build(cls, services: Services) -> Any:
        """Registry hook: this source on the kernel's shared DataHub."""
        from tradefleet.scrapers.hub import DataHub

        return DataHub.from_services(services).source(cls.name)

    @property
    def offline(self) -> bool:
        return self.hub.is_offline(self.name, self.keyed)

    def sample(self) -> Any:
        """Fetch one representative answer (``tradefleet data fetch <source>``)."""
        raise NotImplementedError
