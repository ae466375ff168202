"""The fixed vocabularies of spec/outcomes.md, each written once: the enums used by the records,
the importer and the API, the event types' button order, the indicator names and the cohort
target keys derived from them, and the header names shared by adapters. The bot's languages are
in ``core/languages.py``."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args


class Gender(StrEnum):
    woman = "woman"
    man = "man"
    other = "other"
    unspecified = "unspecified"


class EducationLevel(StrEnum):
    primary = "primary"
    secondary = "secondary"
    post_secondary = "post_secondary"
    tertiary = "tertiary"


class MigrationCategory(StrEnum):
    family = "family"
    quota_refugee = "quota_refugee"
    temporary_protection = "temporary_protection"
    other = "other"


class Arm(StrEnum):
    intervention = "intervention"
    control = "control"


class Wave(StrEnum):
    baseline = "baseline"
    followup_1 = "followup_1"
    followup_2 = "followup_2"
    result = "result"


class MentorWave(StrEnum):
    """The mentors' own survey: at the start and at the end of the round (issue 13)."""

    mentor_start = "mentor_start"
    mentor_end = "mentor_end"


MENTOR_SCALES: tuple[str, ...] = (
    "contact_newcomers",
    "integration_knowledge",
    "integration_engagement",
)
"""The mentor survey's 1-5 scales asked at the start and at the end (more = a higher answer)."""


MENTOR_INDICATORS: tuple[str, ...] = (
    "mentor_more_contact",
    "mentor_more_knowledge",
    "mentor_more_engagement",
    "mentor_satisfied",
    "mentor_would_again",
)
"""The mentors' indicators (``outcomes.indicators.compute_mentor_indicators``), in order."""


class Employment(StrEnum):
    none = "none"
    part_time = "part_time"
    full_time = "full_time"


class Extent(StrEnum):
    part_time = "part_time"
    full_time = "full_time"


class Contribution(StrEnum):
    yes = "yes"
    no = "no"
    unsure = "unsure"


class EventSource(StrEnum):
    participant = "participant"
    mentor = "mentor"
    staff = "staff"
    import_ = "import"


class EventStatus(StrEnum):
    confirmed = "confirmed"
    voided = "voided"


class EventType(StrEnum):
    job_started = "job_started"
    job_changed = "job_changed"
    job_ended = "job_ended"
    internship_started = "internship_started"
    education_started = "education_started"
    interview_attended = "interview_attended"
    cv_improved = "cv_improved"
    network_expanded = "network_expanded"
    reference_obtained = "reference_obtained"
    workplace_visit = "workplace_visit"
    learned_education_system = "learned_education_system"
    learned_social_codes = "learned_social_codes"
    swedish_improved = "swedish_improved"
    professional_swedish_improved = "professional_swedish_improved"


class MeetingKind(StrEnum):
    individual = "individual"
    kickoff = "kickoff"
    workshop_interview = "workshop_interview"
    workshop_networking = "workshop_networking"


class SurveyStatus(StrEnum):
    """A survey answered in the bot is ``in_progress`` until its last question; imports are complete."""

    complete = "complete"
    in_progress = "in_progress"


class Role(StrEnum):
    admin = "admin"
    staff = "staff"
    analyst = "analyst"


MINOR_ITEMS: tuple[str, ...] = (
    "cv_improved",
    "network_expanded",
    "reference_obtained",
    "workplace_visit",
    "learned_education_system",
    "learned_social_codes",
    "swedish_improved",
    "professional_swedish_improved",
)
"""The eight minor step items; five of them make ``minor_steps_5_of_8``."""

STEP_ITEMS: tuple[str, ...] = ("internship", "education_started", *MINOR_ITEMS)
"""Keys of the result survey's ``items`` object."""

ITEM_EVENT: dict[str, str] = {
    "internship": "internship_started",
    **{item: item for item in STEP_ITEMS if item != "internship"},
}
"""Which event type makes each step item true."""

CONTRIBUTION_KEYS: tuple[str, ...] = ("job", "internship", "education_started")

EVENT_BUTTON_ORDER: tuple[EventType, ...] = (
    EventType.job_started,
    EventType.job_changed,
    EventType.job_ended,
    EventType.internship_started,
    EventType.education_started,
    EventType.interview_attended,
    EventType.cv_improved,
    EventType.network_expanded,
    EventType.reference_obtained,
    EventType.workplace_visit,
    EventType.learned_education_system,
    EventType.learned_social_codes,
    EventType.swedish_improved,
    EventType.professional_swedish_improved,
)
"""The event types in the order of the bot's buttons (/progress, the check-in): each exactly once."""

# --- indicators (spec/outcomes.md) ----------------------------------------------------------

HEADLINE_INDICATORS: tuple[str, ...] = (
    "got_job",
    "measurable_steps",
    "job_or_steps",
    "network_expanded",
    "internship",
    "education_started",
    "interviews_plus_two",
    "minor_steps_5_of_8",
)
ITEM_INDICATORS: tuple[str, ...] = tuple(i for i in MINOR_ITEMS if i not in HEADLINE_INDICATORS)
"""The other minor items, each an indicator of its own."""
INDICATORS: tuple[str, ...] = (
    *HEADLINE_INDICATORS,
    *ITEM_INDICATORS,
    "job_contributed",
    "internship_contributed",
    "education_contributed",
    "relevant_job_contributed",
)
"""Every indicator of the spec, in the order the JSON lists them."""

TARGET_PARTICIPANTS = "participants"
"""A cohort's target head count, compared with ``enrolled``."""
TARGET_RESPONSE_RATE = "response_rate"
"""A cohort's target response rate (a share)."""
TARGET_KEYS: tuple[str, ...] = (
    TARGET_PARTICIPANTS,
    *(name for name in INDICATORS if name not in ITEM_INDICATORS),
    TARGET_RESPONSE_RATE,
)
"""The keys of a cohort's ``targets``: the head count, the headline and contribution indicators
(each a share on the requested basis) and the response rate."""

# --- header names ---------------------------------------------------------------------------

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
"""The header in which Telegram sends a webhook's ``secret_token`` (Bot API, setWebhook)."""


def _check() -> None:
    if sorted(EVENT_BUTTON_ORDER) != sorted(EventType):
        raise ValueError("core.vocab: EVENT_BUTTON_ORDER must list every EventType exactly once")
    if len(set(INDICATORS)) != len(INDICATORS):
        raise ValueError(f"core.vocab: an indicator is listed twice: {INDICATORS}")
    if not set(TARGET_KEYS) - {TARGET_PARTICIPANTS, TARGET_RESPONSE_RATE} <= set(INDICATORS):
        raise ValueError("core.vocab: a target key is neither an indicator nor a head count")


_check()


class RegisterGroup(StrEnum):
    """The two groups of a study's register data (spec/study.md)."""

    intervention = "intervention"
    external_control = "external_control"


# -- what the indicators and the exports are asked for (the API's and the command line's choices)

Basis = Literal["measured", "enrolled"]
"""The denominator of a share: those measured (with a result survey) or everyone enrolled."""
Grouping = Literal["gender", "cohort", "arm", "migration_category", "region"]
"""The background variables the indicators can be grouped by."""
BASES: tuple[str, ...] = get_args(Basis)
GROUPINGS: tuple[str, ...] = get_args(Grouping)


class ExportTable(StrEnum):
    """The tables that can be exported (the API's resource names)."""

    cohorts = "cohorts"
    participants = "participants"
    mentors = "mentors"
    pairs = "pairs"
    surveys = "surveys"
    events = "events"
    meetings = "meetings"


# --- the staff workspace --------------------------------------------------------------------

STAFF_LANGUAGES: tuple[str, ...] = ("sv", "en")
"""The languages of the staff pages (their own catalogs, staff/i18n)."""
STAFF_MIN_PASSWORD = 12
"""The shortest password a staff account may have."""
