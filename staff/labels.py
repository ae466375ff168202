"""Names of the fixed vocabularies as the pages show them (translated where they are shown)."""

from __future__ import annotations

from staff.i18n import N_

ROLES = {
    "admin": N_("administrator"),
    "staff": N_("staff"),
    "analyst": N_("analyst"),
}

INDICATORS = {
    "got_job": N_("Got a job"),
    "measurable_steps": N_("Measurable steps towards work"),
    "job_or_steps": N_("Job or measurable steps"),
    "network_expanded": N_("Expanded their professional network"),
    "internship": N_("Internship"),
    "education_started": N_("Started an education"),
    "interviews_plus_two": N_("At least two more job interviews"),
    "minor_steps_5_of_8": N_("Five of the eight smaller steps"),
    "cv_improved": N_("Improved CV or cover letter"),
    "reference_obtained": N_("Got a reference"),
    "workplace_visit": N_("Visited a workplace"),
    "learned_education_system": N_("Learned about education in Sweden"),
    "learned_social_codes": N_("Learned the social codes of workplaces"),
    "swedish_improved": N_("Improved their Swedish"),
    "professional_swedish_improved": N_("Improved the Swedish of their trade"),
    "job_contributed": N_("The program contributed to the job"),
    "internship_contributed": N_("The program contributed to the internship"),
    "education_contributed": N_("The program contributed to the education"),
    "relevant_job_contributed": N_("Relevant job the program contributed to"),
    "participants": N_("Participants"),
    "response_rate": N_("Response rate"),
}

FLAGS = {
    "no_meeting_45d": N_("No meeting in 45 days"),
    "checkins_unanswered": N_("Last two check-ins unanswered"),
    "blocked": N_("Blocked the bot"),
    "ended": N_("Ended"),
}

GENDERS = {
    "woman": N_("Women"),
    "man": N_("Men"),
    "other": N_("Other"),
    "unspecified": N_("Not stated"),
}

WAVES = {
    "baseline": N_("Baseline survey"),
    "followup_1": N_("First follow-up"),
    "followup_2": N_("Second follow-up"),
    "result": N_("Result survey"),
}

EVENT_TYPES = {
    "job_started": N_("Started a job"),
    "job_changed": N_("Changed job"),
    "job_ended": N_("Job ended"),
    "internship_started": N_("Got an internship"),
    "education_started": N_("Started an education"),
    "interview_attended": N_("Went to a job interview"),
    "cv_improved": N_("Improved CV or cover letter"),
    "network_expanded": N_("Gained a professional contact"),
    "reference_obtained": N_("Got a reference"),
    "workplace_visit": N_("Visited a workplace"),
    "learned_education_system": N_("Learned about education in Sweden"),
    "learned_social_codes": N_("Learned the social codes of workplaces"),
    "swedish_improved": N_("Improved their Swedish"),
    "professional_swedish_improved": N_("Improved the Swedish of their trade"),
}

MEETING_KINDS = {
    "individual": N_("Meeting"),
    "kickoff": N_("Kick-off"),
    "workshop_interview": N_("Interview workshop"),
    "workshop_networking": N_("Networking workshop"),
}

SCHEDULE_STATES = {
    "pending": N_("waiting for an answer"),
    "claimed": N_("being sent"),
    "answered": N_("answered"),
    "expired": N_("not answered"),
    "cancelled": N_("cancelled"),
}

CONTRIBUTIONS = {"yes": N_("yes"), "no": N_("no"), "unsure": N_("unsure")}
EXTENTS = {"part_time": N_("part time"), "full_time": N_("full time")}
STATUSES = {"confirmed": N_("confirmed"), "voided": N_("voided")}
SOURCES = {
    "participant": N_("participant"),
    "mentor": N_("mentor"),
    "staff": N_("staff"),
    "import": N_("import"),
}
ARMS = {"intervention": N_("intervention"), "control": N_("control")}
EDUCATION_LEVELS = {
    "primary": N_("primary school"),
    "secondary": N_("upper secondary school"),
    "post_secondary": N_("post-secondary"),
    "tertiary": N_("university"),
}
MENTOR_INDICATORS = {
    "mentor_more_contact": N_("More contact with people new to Sweden"),
    "mentor_more_knowledge": N_("More knowledge of integration"),
    "mentor_more_engagement": N_("More engagement in integration"),
    "mentor_satisfied": N_("Satisfied as a mentor"),
    "mentor_would_again": N_("Would mentor again"),
}
MENTOR_DEFINITIONS = {
    "mentor_more_contact": N_(
        "Mentors whose answer on contact with people new to Sweden is higher at the end than at "
        "the start, of the mentors who answered both."
    ),
    "mentor_more_knowledge": N_(
        "Mentors whose answer on knowledge of integration is higher at the end than at the "
        "start, of the mentors who answered both."
    ),
    "mentor_more_engagement": N_(
        "Mentors whose answer on engagement in integration is higher at the end than at the "
        "start, of the mentors who answered both."
    ),
    "mentor_satisfied": N_(
        "Mentors who answered 4 or 5 of 5 on satisfaction at the end, of those who answered it."
    ),
    "mentor_would_again": N_(
        "Mentors who answered yes to mentoring again, of those who answered yes, no or not sure."
    ),
}
MIGRATION_CATEGORIES = {
    "family": N_("family"),
    "quota_refugee": N_("quota refugee"),
    "temporary_protection": N_("temporary protection"),
    "other": N_("other"),
}
EXPORT_TABLES = {
    "indicators": N_("Indicators"),
    "cohorts": N_("Cohorts"),
    "participants": N_("Participants"),
    "mentors": N_("Mentors"),
    "pairs": N_("Pairs"),
    "surveys": N_("Surveys"),
    "events": N_("Events"),
    "meetings": N_("Meetings"),
}

ALL = {
    "roles": ROLES,
    "indicators": INDICATORS,
    "mentor_indicators": MENTOR_INDICATORS,
    "mentor_definitions": MENTOR_DEFINITIONS,
    "flags": FLAGS,
    "genders": GENDERS,
    "waves": WAVES,
    "event_types": EVENT_TYPES,
    "meeting_kinds": MEETING_KINDS,
    "schedule_states": SCHEDULE_STATES,
    "contributions": CONTRIBUTIONS,
    "extents": EXTENTS,
    "statuses": STATUSES,
    "sources": SOURCES,
    "arms": ARMS,
    "education_levels": EDUCATION_LEVELS,
    "migration_categories": MIGRATION_CATEGORIES,
    "export_tables": EXPORT_TABLES,
}

COVARIATES = {
    "woman": N_("Women (share)"),
    "birth_year": N_("Year of birth (mean)"),
    "tertiary": N_("Higher education (share)"),
    "arrival_year": N_("Year of arrival (mean)"),
    "employed_at_baseline": N_("Working at the baseline survey (share)"),
    "contacts_at_baseline": N_("Professional contacts at baseline (mean)"),
}
"""The covariates of a study's balance table (``outcomes.study.COVARIATES``)."""
