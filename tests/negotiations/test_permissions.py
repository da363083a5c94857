"""The one place that decides permissions, role by role."""

import pytest
from django.contrib.auth import get_user_model

from negotiations import permissions
from negotiations.choices import Role
from tests.factories import UserFactory
from workinggroups.choices import ContestedPointState

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_roles_per_agreement(world):
    aid = world.agreement.pk
    assert permissions.can_steer_agreement(world.chief, aid)
    assert permissions.can_steer_agreement(world.secretariat, aid)
    assert not permissions.can_steer_agreement(world.negotiator, aid)
    assert not permissions.can_steer_agreement(world.elsewhere, aid)
    assert permissions.can_view_agreement(world.official, aid)
    assert not permissions.can_view_agreement(world.outsider, aid)
    assert set(permissions.visible_agreements(world.elsewhere)) == {world.elsewhere_agreement}


def test_negotiators_change_only_their_groups(world):
    assert permissions.can_change_chapter(world.negotiator, world.chapter)
    assert not permissions.can_change_chapter(world.negotiator, world.other_chapter)
    assert not permissions.can_change_chapter(world.official, world.chapter)
    assert permissions.can_record_outcome(world.negotiator, world.meeting)
    assert not permissions.can_record_outcome(world.negotiator, world.other_meeting)
    assert not permissions.can_record_outcome(world.elsewhere, world.meeting)


def test_an_escalated_point_is_for_those_who_steer(world):
    world.point.state = ContestedPointState.ESCALATED
    assert permissions.can_edit_contested_point(world.negotiator, world.point)
    assert not permissions.can_resolve_contested_point(world.negotiator, world.point)
    assert permissions.can_resolve_contested_point(world.chief, world.point)


def test_the_audit_trail_is_the_secretariats_and_accounts_the_superusers(world):
    world.secretariat.is_staff = True  # the staff flag gives nothing
    assert permissions.can_view_audit(world.secretariat)
    assert not permissions.can_manage_accounts(world.secretariat)
    assert not permissions.can_view_unscoped_audit(world.secretariat)
    for who in [world.chief, world.negotiator, world.official, world.outsider]:
        assert not permissions.can_view_audit(who)
        assert not permissions.can_manage_accounts(who)
    root = UserFactory(is_superuser=True)
    assert permissions.can_manage_accounts(root)
    assert permissions.can_view_unscoped_audit(root)


def test_an_inactive_account_may_do_nothing(world):
    world.chief.is_active = False
    assert not permissions.can_view_agreement(world.chief, world.agreement.pk)
    assert not permissions.can_steer_agreement(world.chief, world.agreement.pk)


def test_a_persons_roles_and_groups_are_read_in_one_query(world, django_assert_num_queries):
    negotiator = User.objects.get(pk=world.negotiator.pk)
    with django_assert_num_queries(1):
        scope = permissions.permission_scope(negotiator)
        assert permissions.can_change_chapter(negotiator, world.chapter)
        assert permissions.role_in(negotiator, world.agreement.pk) == Role.NEGOTIATOR
    assert scope == ("", ((world.agreement.pk, Role.NEGOTIATOR),), (world.group.pk,))
    # Someone with neither has an empty scope, in one query too.
    outsider = User.objects.get(pk=world.outsider.pk)
    with django_assert_num_queries(1):
        assert permissions.permission_scope(outsider) == ("", (), ())


def test_who_steers_some_agreement(world):
    for who in (world.chief, world.secretariat, world.elsewhere, world.superuser):
        assert permissions.steers_some_agreement(who)
    for who in (world.negotiator, world.official, world.outsider):
        assert not permissions.steers_some_agreement(who)
    world.chief.is_active = False
    assert not permissions.steers_some_agreement(world.chief)
