"""The SCIM resources we serve (scim2-models), and the discovery documents built from them.

Only attributes the service keeps are declared, so what an identity provider writes it reads back; a provider's
other attributes are ignored (RFC 7644 3.3).
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field
from scim2_models import (
    URN,
    AnyExtension,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Group,
    GroupMembership,
    Mutability,
    Name,
    Patch,
    Required,
    Resource,
    ResourceType,
    SchemaExtension,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

from wellbeing.models.users import ROLES

EXTENSION_URN = "urn:ietf:params:scim:schemas:extension:wellbeing:2.0:User"
MAX_RESULTS = 500
# What identity providers send in practice: attributes we do not keep (Entra's enterprise extension, titles) are
# dropped, and Entra's PATCH dialect (a remove naming its values, a replace of a filtered entry not yet there) works.
POLICY = ScimPolicy(unknown=ScimPolicy.Unknown.ignore, remove_value_as_filter=ScimPolicy.RemoveValue.apply,
                    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create)


class Email(ComplexAttribute):
    """An e-mail address (any domain a directory uses, internal ones such as .local included)."""

    value: Annotated[str | None, Required.true] = None
    display: str | None = None
    type: str | None = Field(None, examples=["work", "home", "other"])
    primary: bool | None = None


class PlatformId(ComplexAttribute):
    """A person's id on a contact-centre platform (amazon_connect, genesys, ...)."""

    platform: Annotated[str | None, CaseExact.true] = None
    value: Annotated[str | None, CaseExact.true] = None


class Wellbeing(Extension):
    """The service's own user attributes: the role, and the person's ids on contact-centre platforms."""

    __schema__ = URN(EXTENSION_URN)

    role: Annotated[str | None, CaseExact.true] = Field(None, examples=list(ROLES))
    external_ids: list[PlatformId] | None = None


class User(Resource[AnyExtension]):
    """A person: userName (the sign-in name), an e-mail, a display name, active, and the extension."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: Name | None = None
    display_name: str | None = None
    active: bool | None = None
    emails: Annotated[list[Email] | None, Required.true] = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


# A user as served: the core resource with the extension.
ExtendedUser = User[Wellbeing]


def schemas() -> list:
    """The Schemas documents: User, Group and the extension."""
    return [User.to_schema(), Group.to_schema(), Wellbeing.to_schema()]


def resource_types() -> list[ResourceType]:
    """The ResourceTypes documents."""
    return [
        ResourceType(id="User", name="User", endpoint="/Users", description="People of the organization",
                     schema_=User.__schema__,
                     schema_extensions=[SchemaExtension(schema_=EXTENSION_URN, required=False)]),
        ResourceType(id="Group", name="Group", endpoint="/Groups", description="Teams (members are the team's people)",
                     schema_=Group.__schema__, schema_extensions=[]),
    ]


def service_provider_config(documentation: str) -> ServiceProviderConfig:
    """What the service supports: PATCH and filters (eq on userName, externalId, displayName); no bulk, sort, ETags."""
    return ServiceProviderConfig(
        documentation_uri=documentation,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[AuthenticationScheme(
            type="oauthbearertoken", name="OAuth Bearer Token", primary=True,
            description="The organization's SCIM token (POST /api/v1/org/scim-token)")],
    )
