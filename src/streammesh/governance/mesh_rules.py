"""Built-in rules that compare a product with the mesh's other products: SLA tiers of
upstreams and partition counts of products keyed on the same entity."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from streammesh.governance.context import RuleContext
from streammesh.governance.findings import RuleId
from streammesh.products import Descriptor, PolicyFinding


def _upstream(mesh: Sequence[Descriptor], reference: str) -> Descriptor | None:
    """The product an ``upstreams`` entry names: that version, else the newest one."""
    name, _, version = reference.rpartition(".v")
    if name and version.isdigit():
        return next(
            (item for item in mesh if item.name == name and item.version == int(version)), None
        )
    versions = [item for item in mesh if item.name == reference]
    return max(versions, key=lambda item: item.version) if versions else None


def upstream_sla(context: RuleContext) -> Iterator[PolicyFinding]:
    """``sla.upstream-tier``: the SLA tier is no better (lower) than any upstream's.

    Upstreams the mesh does not hold are skipped (the plan warns about them already).
    """
    if context.mesh is None:
        return
    settings = context.policy.rules.sla_upstream
    tier = context.descriptor.sla.tier
    for reference in context.descriptor.upstreams:
        upstream = _upstream(context.mesh, reference)
        if upstream is None or upstream.sla.tier <= tier:
            continue
        yield context.finding(
            RuleId.SLA_UPSTREAM,
            settings,
            "sla.tier",
            f"SLA tier {int(tier)} promises more than upstream '{upstream.topic}' gives "
            f"(tier {int(upstream.sla.tier)})",
            f"set `sla: {{tier: {int(upstream.sla.tier)}}}` or higher, or ask the owners of "
            f"'{upstream.name}' for tier {int(tier)}",
        )


def co_keyed_partitions(context: RuleContext) -> Iterator[PolicyFinding]:
    """``partitions.co-keyed``: products keyed on the same entity have the same partitions.

    Two products are keyed on the same entity when their key fields have the same name (the
    last segment of the path: ``customer_id`` and ``order.customer_id`` are the same entity)
    and the same key type; they can then be joined by key partition by partition only if
    their partition counts are equal.
    """
    if context.mesh is None:
        return
    settings = context.policy.rules.co_keyed
    descriptor = context.descriptor
    entity = _entity(descriptor)
    for other in context.mesh:
        if other.name == descriptor.name or _entity(other) != entity:
            continue
        if other.partition_count != descriptor.partition_count:
            yield context.finding(
                RuleId.PARTITIONS_CO_KEYED,
                settings,
                "partitions",
                f"keyed on '{entity[0]}' ({entity[1]}) like '{other.topic}', which has "
                f"{other.partition_count} partitions ('{other.partitions.value}'), but asks for "
                f"{descriptor.partition_count} ('{descriptor.partitions.value}')",
                f"set `partitions: {other.partitions.value}` so the two can be joined by key",
            )
            return


def _entity(descriptor: Descriptor) -> tuple[str, str]:
    return descriptor.key.field.rsplit(".", 1)[-1], descriptor.key.type.value
