"""Use cases for organisations, people, groups and memberships (the meetings service owns them)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from backbone.errors import NotAllowed, NotFound, RuleError, StaleVersion
from backbone.outbox import add_event
from backbone.paging import fetch_page
from meetings.contracts import (
    GROUP_CREATED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    ORGANISATION_REGISTERED,
    ORGANISATION_UPDATED,
    PERSON_REGISTERED,
    PERSON_UPDATED,
    GroupCreatedV1,
    MembershipChangedV1,
    OrganisationChangedV1,
    PersonChangedV1,
)
from meetings.model import GroupKind, MemberRole, OrganisationKind
from meetings.sql_queries import q

Row = dict[str, Any]


def _org_event(row: Any, change: str) -> OrganisationChangedV1:
    return OrganisationChangedV1(
        organisation_id=str(row["id"]), name=row["name"], kind=row["kind"], change=change
    )


def _person_event(row: Any, change: str) -> PersonChangedV1:
    org = row["organisation_id"]
    return PersonChangedV1(
        person_id=str(row["id"]),
        name=row["name"],
        email=row["email"],
        organisation_id=str(org) if org else None,
        change=change,
    )


async def register_organisation(*, conn: asyncpg.Connection, name: str, kind: OrganisationKind) -> Row:
    async with conn.transaction():
        if await q.find_organisation_by_name.fetchrow(conn, name=name):
            raise RuleError(f"an organisation named {name!r} already exists")
        row = await q.insert_organisation.fetchrow(conn, id=uuid.uuid4(), name=name, kind=kind)
        await add_event(
            conn, ORGANISATION_REGISTERED, _org_event(row, "registered"), aggregate_id=str(row["id"])
        )
    return dict(row)


async def ensure_organisation(
    *, conn: asyncpg.Connection, name: str, kind: OrganisationKind = "user_organisation"
) -> Row:
    """The organisation with this name, registered first if new (used by the importer and roll calls)."""
    found = await q.find_organisation_by_name.fetchrow(conn, name=name)
    if found:
        return dict(found)
    async with conn.transaction():
        row = await q.insert_organisation_if_new.fetchrow(conn, id=uuid.uuid4(), name=name, kind=kind)
        if row is None:
            # Registered by another transaction since the look-up above: that one is it.
            return dict(await q.find_organisation_by_name.fetchrow(conn, name=name))
        await add_event(
            conn, ORGANISATION_REGISTERED, _org_event(row, "registered"), aggregate_id=str(row["id"])
        )
    return dict(row)


async def update_organisation(
    *,
    conn: asyncpg.Connection,
    organisation_id: uuid.UUID,
    version: int,
    name: str | None,
    kind: OrganisationKind | None,
) -> Row:
    async with conn.transaction():
        current = await q.get_organisation.fetchrow(conn, id=organisation_id)
        if current is None:
            raise NotFound(f"there is no organisation with id {organisation_id}")
        if (
            name
            and name.lower() != current["name"].lower()
            and await q.find_organisation_by_name.fetchrow(conn, name=name)
        ):
            raise RuleError(f"an organisation named {name!r} already exists")
        row = await q.update_organisation.fetchrow(
            conn,
            id=organisation_id,
            version=version,
            name=name,
            kind=kind,
        )
        if row is None:
            raise StaleVersion(
                f"the organisation was changed by someone else (version is now {current['version']},"
                f" you sent {version}); reload it and try again"
            )
        await add_event(conn, ORGANISATION_UPDATED, _org_event(row, "updated"), aggregate_id=str(row["id"]))
    return dict(row)


async def get_organisation(*, conn: asyncpg.Connection, organisation_id: uuid.UUID) -> Row:
    row = await q.get_organisation.fetchrow(conn, id=organisation_id)
    if row is None:
        raise NotFound(f"there is no organisation with id {organisation_id}")
    return dict(row)


async def list_organisations(
    *, conn: asyncpg.Connection, name: str | None, kind: OrganisationKind | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    return await fetch_page(conn, q.list_organisations, name=name, kind=kind, limit=limit, offset=offset)


async def _refuse_a_taken_address(conn: asyncpg.Connection, email: str, person_id: uuid.UUID | None) -> None:
    # Invitees and roll calls know people by their address: a representative who could give one of
    # their own people somebody else's address would be shown that person's invitations.
    if await q.address_taken.fetchval(conn, email=email, person_id=person_id):
        raise RuleError(
            f"the e-mail address {email} already belongs to another person or to someone invited to a "
            "meeting; give this person their own address, or ask the staff to change it"
        )


async def register_person(
    *,
    conn: asyncpg.Connection,
    name: str,
    email: str | None,
    organisation_id: uuid.UUID | None,
    scope: uuid.UUID | None = None,
) -> Row:
    """Register a person; `scope` says a representative of that organisation asks for it."""
    async with conn.transaction():
        if organisation_id and await q.get_organisation.fetchrow(conn, id=organisation_id) is None:
            raise NotFound(f"there is no organisation with id {organisation_id}")
        if scope is not None and email:
            await _refuse_a_taken_address(conn, email, None)
        row = await q.insert_person.fetchrow(
            conn,
            id=uuid.uuid4(),
            name=name,
            email=email,
            organisation_id=organisation_id,
        )
        await add_event(
            conn, PERSON_REGISTERED, _person_event(row, "registered"), aggregate_id=str(row["id"])
        )
    return await get_person(conn=conn, person_id=row["id"])


async def ensure_person(*, conn: asyncpg.Connection, name: str, organisation_id: uuid.UUID | None) -> Row:
    """The person with this name, registered first if new (used by the importer)."""
    found = await q.find_person_by_name.fetchrow(conn, name=name)
    if found:
        return dict(found)
    return await register_person(conn=conn, name=name, email=None, organisation_id=organisation_id)


async def ensure_guest(*, conn: asyncpg.Connection, name: str, organisation_id: uuid.UUID | None) -> Row:
    """A roll call's guest: the person of this name in this organisation, else a new person.

    A name alone says too little: the same name in another organisation, or with none given, is
    taken for somebody else, never for a registered person whose attendance it would then record.
    """
    if organisation_id is not None:
        found = await q.find_person_by_name_in_organisation.fetchrow(
            conn, name=name, organisation_id=organisation_id
        )
        if found:
            return dict(found)
    return await register_person(conn=conn, name=name, email=None, organisation_id=organisation_id)


async def get_person(
    *, conn: asyncpg.Connection, person_id: uuid.UUID, scope: uuid.UUID | None = None
) -> Row:
    row = await q.get_person.fetchrow(conn, id=person_id)
    if row is None or (scope is not None and row["organisation_id"] != scope):
        raise NotFound(f"there is no person with id {person_id}")
    return dict(row)


async def update_person(
    *,
    conn: asyncpg.Connection,
    person_id: uuid.UUID,
    version: int,
    changes: dict[str, Any],
    scope: uuid.UUID | None = None,
) -> Row:
    """Change the fields present in `changes`; `scope` limits it to one organisation's people."""
    async with conn.transaction():
        current = await get_person(conn=conn, person_id=person_id, scope=scope)
        if "organisation_id" in changes:
            org = changes["organisation_id"]
            if scope is not None and org != scope:
                raise NotAllowed("you can only place people in your own organisation")
            if org and await q.get_organisation.fetchrow(conn, id=org) is None:
                raise NotFound(f"there is no organisation with id {org}")
        if scope is not None and changes.get("email"):
            await _refuse_a_taken_address(conn, changes["email"], person_id)
        row = await q.update_person.fetchrow(
            conn,
            id=person_id,
            version=version,
            name=changes.get("name"),
            email=changes.get("email"),
            email_given="email" in changes,
            organisation_id=changes.get("organisation_id"),
            organisation_given="organisation_id" in changes,
        )
        if row is None:
            raise StaleVersion(
                f"the person was changed by someone else (version is now {current['version']},"
                f" you sent {version}); reload and try again"
            )
        await add_event(conn, PERSON_UPDATED, _person_event(row, "updated"), aggregate_id=str(row["id"]))
    return await get_person(conn=conn, person_id=person_id)


async def list_people(
    *, conn: asyncpg.Connection, organisation_id: uuid.UUID | None, name: str | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    return await fetch_page(
        conn,
        q.list_people,
        organisation_id=organisation_id,
        name=name,
        limit=limit,
        offset=offset,
    )


async def create_group(
    *,
    conn: asyncpg.Connection,
    name: str,
    kind: GroupKind,
    description: str | None,
    parent_group_id: uuid.UUID | None,
) -> Row:
    async with conn.transaction():
        if await q.find_group_by_name.fetchrow(conn, name=name):
            raise RuleError(f"a group named {name!r} already exists")
        if parent_group_id and await q.get_group.fetchrow(conn, id=parent_group_id) is None:
            raise NotFound(f"there is no group with id {parent_group_id}")
        row = await q.insert_group.fetchrow(
            conn,
            id=uuid.uuid4(),
            name=name,
            kind=kind,
            description=description,
            parent_group_id=parent_group_id,
        )
        await add_event(
            conn,
            GROUP_CREATED,
            GroupCreatedV1(
                group_id=str(row["id"]),
                name=name,
                kind=kind,
                parent_group_id=str(parent_group_id) if parent_group_id else None,
            ),
            aggregate_id=str(row["id"]),
        )
    return {**dict(row), "member_count": 0}


async def get_group(*, conn: asyncpg.Connection, group_id: uuid.UUID) -> Row:
    row = await q.get_group.fetchrow(conn, id=group_id)
    if row is None:
        raise NotFound(f"there is no group with id {group_id}")
    return dict(row)


async def list_groups(
    *, conn: asyncpg.Connection, kind: GroupKind | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    return await fetch_page(conn, q.list_groups, kind=kind, limit=limit, offset=offset)


async def list_members(
    *, conn: asyncpg.Connection, group_id: uuid.UUID, scope: uuid.UUID | None = None
) -> list[Row]:
    await get_group(conn=conn, group_id=group_id)
    return [dict(r) for r in await q.list_members.fetch(conn, group_id=group_id, organisation_id=scope)]


async def add_member(
    *,
    conn: asyncpg.Connection,
    group_id: uuid.UUID,
    person_id: uuid.UUID,
    organisation_id: uuid.UUID | None,
    role: MemberRole,
    scope: uuid.UUID | None = None,
) -> Row:
    """Add (or update) a member; they represent `organisation_id`, by default their own organisation."""
    async with conn.transaction():
        group = await get_group(conn=conn, group_id=group_id)
        person = await get_person(conn=conn, person_id=person_id)
        represents = organisation_id or person["organisation_id"]
        if scope is not None and (represents != scope or person["organisation_id"] != scope):
            raise NotAllowed("you can only add members from your own organisation")
        if represents and await q.get_organisation.fetchrow(conn, id=represents) is None:
            raise NotFound(f"there is no organisation with id {represents}")
        row = await q.upsert_member.fetchrow(
            conn,
            group_id=group_id,
            person_id=person_id,
            organisation_id=represents,
            role=role,
        )
        await add_event(
            conn,
            MEMBER_ADDED,
            MembershipChangedV1(
                group_id=str(group_id),
                group_name=group["name"],
                person_id=str(person_id),
                person_name=person["name"],
                organisation_id=str(represents) if represents else None,
                role=role,
            ),
            aggregate_id=str(group_id),
        )
    return dict(row)


async def remove_member(
    *, conn: asyncpg.Connection, group_id: uuid.UUID, person_id: uuid.UUID, scope: uuid.UUID | None = None
) -> None:
    async with conn.transaction():
        group = await get_group(conn=conn, group_id=group_id)
        member = await q.get_member.fetchrow(conn, group_id=group_id, person_id=person_id)
        if member is None:
            raise NotFound(f"person {person_id} is not a member of this group")
        if scope is not None and member["organisation_id"] != scope:
            raise NotAllowed("you can only remove members who represent your own organisation")
        person = await get_person(conn=conn, person_id=person_id)
        await q.delete_member.execute(conn, group_id=group_id, person_id=person_id)
        await add_event(
            conn,
            MEMBER_REMOVED,
            MembershipChangedV1(
                group_id=str(group_id),
                group_name=group["name"],
                person_id=str(person_id),
                person_name=person["name"],
                organisation_id=str(member["organisation_id"]) if member["organisation_id"] else None,
                role=member["role"],
            ),
            aggregate_id=str(group_id),
        )
