"""Development-only data: one account per role and an invented ongoing negotiation.

The invented negotiation is dated relative to today so that a fresh `make run` always has
meetings and deadlines coming up in the next days (and something overdue) to show and remind
about. It is flagged `is_demo` and its parties are fictional (user-assigned X codes).

The accounts whose role requires a second factor (secretariat, chief negotiator) get an
authenticator with one published demo secret, so that anyone trying the tracker can add it to
an authenticator app, or read the current code from `seed_demo --codes`. Like the password, it
is created by the demo command alone, which refuses to run unless DEBUG is on.
"""

import base64
import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from negotiations.choices import Role
from negotiations.models import Agreement, Commitment, Party, RoleAssignment
from negotiations.permissions import SECOND_FACTOR_ROLES
from negotiations.scenario import load_scenario
from workinggroups.choices import MembershipRole
from workinggroups.models import ContestedPoint, Membership, WorkingGroup

DEMO_PASSWORD = "demo-tracker-2026"

DEMO_ACCOUNTS = [
    # username, first name, last name, role, party code, time zone, working groups (codes)
    ("secretariat", "Sophea", "Chan", Role.SECRETARIAT, None, "Asia/Phnom_Penh", []),
    ("chief", "Dara", "Keo", Role.CHIEF_NEGOTIATOR, "KHM", "Asia/Phnom_Penh", []),
    ("negotiator", "Vannak", "Sok", Role.NEGOTIATOR, "KHM", "Asia/Phnom_Penh", ["ROO"]),
    ("official", "Mei", "Lin", Role.OFFICIAL, None, "Asia/Shanghai", []),
]

DEMO_SLUG = "demo-northland-eastland"

# The demo authenticators' secret (20 bytes, as TOTPDevice keeps it: hexadecimal), and as an
# authenticator app asks for it: base 32.
DEMO_TOTP_KEY = b"demo-tracker-2026-2f".hex()
DEMO_TOTP_SECRET = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode("ascii")


def demo_totp_code(user) -> str | None:
    """The code the demo account's authenticator shows now, if it has one."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, key=DEMO_TOTP_KEY, confirmed=True).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def demo_scenario(today: dt.date) -> dict:
    """The invented negotiation, as scenario data with dates around `today`."""

    def day(offset):
        return (today + dt.timedelta(days=offset)).isoformat()

    def at(offset, hour, minute=0):
        return f"{day(offset)}T{hour:02d}:{minute:02d}"

    return {
        "parties": [
            {
                "code": "XNL",
                "name": "Northland (fictional)",
                "capital_time_zone": "Asia/Phnom_Penh",
            },
            {"code": "XEL", "name": "Eastland (fictional)", "capital_time_zone": "Asia/Shanghai"},
        ],
        "agreement": {
            "slug": DEMO_SLUG,
            "name": "Northland–Eastland FTA (demonstration, invented data)",
            "short_name": "Demo FTA",
            "description": (
                "An invented negotiation between two fictional parties, for trying the tracker "
                "out. Nothing in it is real."
            ),
            "status": "under_negotiation",
            "is_demo": True,
            "launched_on": day(-90),
            "target_conclusion_on": day(180),
        },
        "delegations": [
            {"party": "XNL", "head_name": "Head of the Northland delegation (fictional)"},
            {"party": "XEL", "head_name": "Head of the Eastland delegation (fictional)"},
        ],
        "working_groups": [
            {
                "code": "TIG",
                "name": "Trade in Goods",
                "chapters": ["Trade in Goods", "Tariff Schedules"],
            },
            {
                "code": "ROO",
                "name": "Rules of Origin",
                "chapters": ["Rules of Origin", "Product-Specific Rules"],
            },
            {
                "code": "SPS",
                "name": "Sanitary and Phytosanitary Measures",
                "chapters": ["Sanitary and Phytosanitary Measures"],
            },
            {"code": "ECOM", "name": "E-commerce", "chapters": ["E-commerce"]},
        ],
        "rounds": [
            {
                "number": 1,
                "starts_on": day(-60),
                "ends_on": day(-58),
                "mode": "in_person",
                "host": "XNL",
                "location": "Northland capital (fictional)",
            },
            {
                "number": 2,
                "starts_on": day(8),
                "ends_on": day(10),
                "mode": "video_conference",
                "host": None,
            },
        ],
        "meetings": [
            {
                "key": "r1",
                "round": 1,
                "kind": "round_plenary",
                "title": "Demo round 1 — plenary",
                "starts_at": at(-60, 9),
                "ends_at": at(-58, 17),
                "time_zone": "Asia/Phnom_Penh",
                "location": "Northland capital (fictional)",
                "working_groups": "all",
            },
            {
                "key": "roo-vc",
                "round": None,
                "kind": "working_group",
                "title": "Rules of Origin working group — video conference",
                "starts_at": at(2, 9),
                "ends_at": at(2, 11),
                "time_zone": "Asia/Phnom_Penh",
                "video_link": "https://video.invalid/demo-roo",
                "working_groups": ["ROO"],
            },
            {
                "key": "sps-inter",
                "round": None,
                "kind": "intersessional",
                "title": "SPS intersessional call",
                "starts_at": at(5, 14),
                "ends_at": at(5, 15, 30),
                "time_zone": "Asia/Shanghai",
                "video_link": "https://video.invalid/demo-sps",
                "working_groups": ["SPS"],
            },
            {
                "key": "r2",
                "round": 2,
                "kind": "round_plenary",
                "title": "Demo round 2 — plenary",
                "starts_at": at(8, 9),
                "ends_at": at(10, 17),
                "time_zone": "Asia/Phnom_Penh",
                "video_link": "https://video.invalid/demo-round-2",
                "working_groups": "all",
            },
        ],
        "status_history": [
            {
                "meeting": "r1",
                "note": "Text-based talks opened.",
                "moves": {"under_negotiation": ["TIG", "ROO", "SPS", "ECOM"]},
            },
            {
                "meeting": "r1",
                "note": "Key elements agreed at the first round.",
                "moves": {"agreed_in_principle": ["ROO", "ECOM"]},
            },
        ],
        "contested_points": [
            {
                "chapter": "Rules of Origin",
                "title": "De minimis threshold for non-originating materials",
                "raised_at": "r1",
                "opened_on": day(-58),
                "target_date": day(6),
                "positions": {"XNL": "10% of the FOB value.", "XEL": "7% of the FOB value."},
            },
            {
                "chapter": "Sanitary and Phytosanitary Measures",
                "title": "Recognition of pest-free areas for fresh fruit",
                "raised_at": "r1",
                "opened_on": day(-58),
                "target_date": day(-3),
                "positions": {
                    "XNL": "Recognise regionalisation on the exporter's evidence.",
                    "XEL": "Case-by-case recognition after inspection.",
                },
            },
        ],
        "deadlines": [
            {
                "working_group": "ROO",
                "title": "Exchange revised product-specific rules",
                "due_on": day(3),
                "set_at": "r1",
            },
            {
                "working_group": None,
                "title": "Exchange initial tariff offers",
                "due_on": day(14),
                "set_at": "r1",
            },
            {
                "working_group": "SPS",
                "title": "Circulate the list of regulated pests",
                "due_on": day(-5),
                "set_at": "r1",
            },
        ],
        "commitments": [
            {
                "meeting": "r1",
                "party": "XEL",
                "text": "Share import statistics by tariff line for the last three years.",
                "due_on": day(-10),
            },
            {
                "meeting": "r1",
                "party": "XNL",
                "text": "Host the second round by video conference.",
                "due_on": day(8),
                "status": "in_progress",
            },
        ],
    }


@transaction.atomic
def seed_demo(today: dt.date | None = None) -> list:
    """Create (or refresh) the demo accounts and the invented negotiation; returns the users."""
    today = today or timezone.localdate()
    demo = load_scenario(demo_scenario(today))
    seeded = list(Agreement.objects.filter(slug__in=[DEMO_SLUG, "cambodia-china-fta"]))
    home_party = {DEMO_SLUG: "XNL", "cambodia-china-fta": "KHM"}
    User = get_user_model()
    users = []
    for username, first, last, role, party_code, zone, groups in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.org",
                "first_name": first,
                "last_name": last,
                "time_zone": zone,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        for agreement in seeded:
            party = Party.objects.get(code=home_party[agreement.slug]) if party_code else None
            RoleAssignment.objects.update_or_create(
                user=user, agreement=agreement, defaults={"role": role, "party": party}
            )
            for code in groups:
                Membership.objects.get_or_create(
                    working_group=WorkingGroup.objects.get(agreement=agreement, code=code),
                    user=user,
                    defaults={"party": party, "role": MembershipRole.LEAD},
                )
        if role in SECOND_FACTOR_ROLES:
            _demo_authenticator(user)
        users.append(user)
    negotiator = next(u for u in users if u.username == "negotiator")
    ContestedPoint.objects.filter(chapter__working_group__agreement=demo, owner=None).update(
        owner=negotiator
    )
    Commitment.objects.filter(meeting__agreement=demo, owner=None).update(owner=negotiator)
    return users


def _demo_authenticator(user):
    """The demo secret as the account's authenticator app, fresh (no code used yet)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).exclude(name="default").delete()
    TOTPDevice.objects.update_or_create(
        user=user,
        name="default",
        defaults={
            "key": DEMO_TOTP_KEY,
            "confirmed": True,
            "drift": 0,
            "last_t": -1,
            "throttling_failure_count": 0,
            "throttling_failure_timestamp": None,
        },
    )
