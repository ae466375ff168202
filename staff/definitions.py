"""Every definition of spec/outcomes.md in plain words, for the report's appendix (and any page).

Keys are the indicator names where there is one (the report links each figure's label to its
definition, ``#def-<key>``). English is the source text; the Swedish is in the ``staff`` catalog.
"""

from __future__ import annotations

from staff.i18n import N_

DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    (
        "window",
        N_("The program window"),
        N_(
            "For each participant: from the day they joined (else the cohort's start) to the day "
            "they left (else the cohort's end), both days included. Only steps inside the window "
            "count, and only steps that were confirmed (a voided step never counts)."
        ),
    ),
    (
        "measured",
        N_("Measured and response rate"),
        N_(
            "Enrolled is everyone in the group. A participant is measured when they answered the "
            "result survey (a survey left half done does not count). The response rate is the "
            "measured divided by the enrolled."
        ),
    ),
    (
        "share",
        N_("Figures: n/of (share)"),
        N_(
            "Every figure is the number of people with the outcome (n), of how many (of), and "
            "the share n/of rounded to one decimal. Unless it says otherwise, 'of' is those "
            "measured. In the view 'everyone enrolled', 'of' is everyone enrolled, and those "
            "without a result survey are judged on their baseline survey and their steps alone."
        ),
    ),
    (
        "got_job",
        N_("Got a job"),
        N_(
            "Had no job at the baseline survey and has paid work at the end (by the result "
            "survey; without it, a started job that did not end inside the window), or changed "
            "job during the program. Without a baseline survey only a change of job counts."
        ),
    ),
    (
        "measurable_steps",
        N_("Measurable steps towards work"),
        N_(
            "Did not get a job, but got an internship, started a relevant education, went to at "
            "least two more job interviews, or took at least five of the eight smaller steps."
        ),
    ),
    (
        "job_or_steps",
        N_("Job or measurable steps"),
        N_("Got a job, or took measurable steps towards work (the two above together)."),
    ),
    (
        "network_expanded",
        N_("Expanded their professional network"),
        N_(
            "Said so in the result survey, or reported gaining a professional contact during "
            "the program. It is both one of the smaller steps and a primary outcome."
        ),
    ),
    (
        "internship",
        N_("Internship"),
        N_("Said so in the result survey, or reported an internship during the program."),
    ),
    (
        "education_started",
        N_("Started an education"),
        N_(
            "Said so in the result survey, or reported starting an education during the "
            "program; an education marked as not relevant does not count."
        ),
    ),
    (
        "interviews_plus_two",
        N_("At least two more job interviews"),
        N_(
            "Went to at least two more job interviews in the last two months than at the "
            "baseline survey. Without either survey: the job interviews reported in the last 61 "
            "days of the window, minus those at the baseline survey (none without it)."
        ),
    ),
    (
        "minor_steps_5_of_8",
        N_("Five of the eight smaller steps"),
        N_(
            "At least five of the eight smaller steps: improved CV or cover letter, expanded "
            "network, got a reference, visited a workplace, learned about education in Sweden, "
            "learned the social codes of workplaces, improved their Swedish, improved the "
            "Swedish of their trade. Each step counts when the result survey says so or the "
            "step was reported during the program."
        ),
    ),
    (
        "job_contributed",
        N_("The program contributed to the job"),
        N_(
            "Of those who got a job and answered whether the program contributed to it: those "
            "who said yes. The answer is the result survey's, else the one given with the "
            "latest job reported."
        ),
    ),
    (
        "internship_contributed",
        N_("The program contributed to the internship"),
        N_(
            "Of those who got an internship and answered whether the program contributed to "
            "it: those who said yes (the result survey, else the latest internship reported)."
        ),
    ),
    (
        "education_contributed",
        N_("The program contributed to the education"),
        N_(
            "Of those who started an education and answered whether the program contributed to "
            "it: those who said yes (the result survey, else the latest education that counts)."
        ),
    ),
    (
        "relevant_job_contributed",
        N_("Relevant job the program contributed to"),
        N_(
            "Of those measured: those who got a job that matches their education or trade and "
            "said the program contributed to it."
        ),
    ),
    (
        "order",
        N_("Which step is the latest"),
        N_(
            "Where the latest step matters, steps are ordered by their date, and steps of the "
            "same day by their id."
        ),
    ),
    (
        "targets",
        N_("Targets"),
        N_(
            "Each cohort can have targets: a number of participants, a response rate, and a "
            "share for an indicator (for example 90 % job or measurable steps, 80 % expanded "
            "network). A target is met when the figure reaches it."
        ),
    ),
    (
        "study",
        N_("The study: difference, interval, p and MDE"),
        N_(
            "The study compares the intervention group with the control group on the same "
            "outcomes. The difference is in percentage points, with its 95 % interval "
            "(Newcombe's); p is Fisher's exact test, adjusted for testing several outcomes "
            "(Holm's). The MDE is the smallest difference the study could have detected with "
            "this many people. A difference that was not shown could be chance; it is not "
            "proof that there is no effect."
        ),
    ),
    (
        "small_cells",
        N_("Fewer than five people"),
        N_(
            "This report leaves the organisation, so a count of fewer people than the limit is "
            "shown as '< {limit}' and the share made of it is not shown; a study comparison with such "
            "a count is not described. The staff pages keep the exact numbers."
        ),
    ),
)
"""``(key, title, text)`` in the order the appendix shows them."""
