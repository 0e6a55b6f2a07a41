"""English: the fillers, questions, personal-data words and report sentences of "en".

Kept as the pipeline has always read English; the report's own list of question openers
(narrower than the one ``tidy`` uses) is kept too.

Must not: hold logic; it only fills in a :class:`~.language.Language`.
"""

from __future__ import annotations

from interview_analytics.domain.languages import language

FILLERS = language.Fillers(
    hesitation=r"u+h*m+|u+h+|e+r+m+|h+m+",
    phrases={
        "you know": language.FillerMode.PARENTHETICAL,
        "i mean": language.FillerMode.PARENTHETICAL,
        "like": language.FillerMode.PARENTHETICAL,
        "sort of": language.FillerMode.PARENTHETICAL,
        "kind of": language.FillerMode.PARENTHETICAL,
    },
)

FILLER_COUNT = language.FillerCount(
    hesitation="",
    anywhere=tuple((word,) for word in ("um", "umm", "uh", "uhh", "uhm", "erm", "er", "hmm")),
    # "it was, like, hard"; "we shipped it, you know." — not "I like Go", "do you know Kafka".
    before_pause=(("you", "know"), ("like",)),
    not_after={("you", "know"): language.words("do did does don't didn't if what")},
)

QUESTIONS = language.Questions(
    openers=language.phrases(
        *["what", "why", "how", "when", "where", "who", "whom", "whose", "which"],
        *[
            "can",
            "could",
            "would",
            "should",
            "do",
            "does",
            "did",
            "is",
            "are",
            "was",
            "were",
            "will",
        ],
    ),
    lead_ins=language.words("and but so"),
    report_openers=language.phrases(
        *["what", "why", "how", "when", "where", "who", "whom", "whose", "which"],
        "can you",
        "could you",
        "would you",
        "will you",
        "do you",
        "did you",
        "have you",
        "are you",
        "were you",
        "is there",
        "tell me",
        "walk me",
    ),
)

PII = language.PiiWords(
    keywords={
        "snils": ("snils",),
        "inn": ("inn",),
        "passport": ("passport", "series"),
        "phone": ("phone", "mobile"),
    },
    passport=("passport",),
    series=("series",),
    number_signs=("number", "no.", "no"),
    birth=("born", "birth", "dob"),
    whole_months=language.words(
        "january february march april may june july august september october november "
        "december jan feb mar apr jun jul aug sep sept oct nov dec"
    ),
    ordinals=r"\d{1,2}(?:st|nd|rd|th)",
    date_words=language.words("of the"),
)

STOPWORDS = language.words(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each even few
    for from further get gets got had has have having he her here hers him his how i if in into
    is it its itself just know let like lot lots make me more most much my no nor not now of off
    on once one only or other our ours out over own really right said same say see she should
    so some something such than that the their them then there these they thing things think
    this those through to too two under until up us very was way we well were what when where
    which while who whom why will with would yeah yes you your yours okay ok sure going want
    maybe kind sort actually basically mean good great thank thanks tell use used using also
    i'm it's don't that's we're i've you're can't didn't doesn't isn't there's let's i'd i'll
    what's they're we've wasn't won't would've could've um umm uh uhh uhm erm er hmm
    led lead work worked working went come came take took made find found need needed try
    tried start started join joined joining give gave look looked keep kept told feel felt
    """
)

TEXTS = {
    "no_speech": "No speech was recorded in this meeting ({audio} of audio).",
    "overview": "Interview of {duration} with {speech} of speech; speakers: {speakers}, "
    "turns: {turns}.",
    "candidate_talk": "The candidate{who} spoke {share} of the speech time "
    "({talk}, {wpm} words per minute)",
    "speaker_talk": "{speaker} spoke {share} ({talk}, {wpm} words per minute)",
    "questions_count": "Questions asked: {count} ({by}).",
    "topics": "Main topics: {topics}.",
    "draft": "Draft: the meeting is still in progress.",
    "bullet_candidate": "The candidate{who} spoke {share} of the speech time over {turns} "
    "turns; the longest answer lasted {longest}.",
    "bullet_top_speaker": "{speaker} spoke the most: {share} of the speech time over "
    "{turns} turns.",
    "bullet_questions": "{count} questions were asked ({by}).",
    "bullet_topics": "Main topics: {topics}.",
    "bullet_competency": "{title}: {score}/5 from {matches} cited statements by the candidate.",
    "flag_share_low": "The candidate spoke only {share} of the speech time (below {limit}).",
    "flag_share_high": "The candidate spoke {share} of the speech time (above {limit}).",
    "flag_single_speaker": "Only one speaker was detected: speaker separation may have "
    "failed, so per-speaker figures are unreliable.",
    "flag_monologue": "Long monologue: {speaker} spoke for {length} without a break "
    "(over {limit}).",
    "flag_quality": "Transcript quality is poor: {low} of {words} words were recognised "
    "with low confidence (mean word probability {mean}); quotes may be inaccurate.",
    "flag_fillers": "High filler rate for the candidate: {rate} per 100 words ({count} fillers).",
    "flag_latency": "Long response latency: the candidate took {gap} to answer (over {limit}).",
    "flag_no_questions": "The candidate asked no questions.",
    "rec_no_speech": "Insufficient evidence: no speech by the candidate was recorded, so "
    "no recommendation can be made.",
    "rec_few_words": "Insufficient evidence: the candidate said only {words} words. Do not "
    "decide on this transcript alone.",
    "rec_insufficient": "Insufficient evidence: {scored} of {total} competencies have "
    "cited evidence; none for {missing}. Do not decide on this transcript alone; cover "
    "the missing competencies in a follow-up conversation.",
    "rec_strong": "Advance to the next stage: every competency has cited evidence (mean "
    "evidence score {mean}/5).",
    "rec_lean_yes": "Lean towards advancing: mean evidence score {mean}/5 over {scored} of "
    "{total} competencies; probe {weakest} further.",
    "rec_lean_no": "Lean against advancing: evidence is thin (mean evidence score "
    "{mean}/5 over {scored} of {total} competencies); probe {weakest} in a follow-up.",
    "rec_flags": "Check the risk flags ({count}) before deciding.",
    "rec_quality": "Transcript quality is poor: check the recording before relying on the quotes.",
    "rec_draft": "Draft, the meeting is still in progress. ",
    "roles_known": "Roles: {candidate} is the candidate, {interviewer} the interviewer ({basis}).",
    "roles_uncertain": "Roles are uncertain: {candidate} was taken for the candidate and "
    "{interviewer} for the interviewer ({basis}, confidence {confidence}).",
    "roles_unknown": "Roles are unknown: it cannot be told which speaker is the candidate, "
    "so no candidate figures or scores are given.",
    "basis_edited": "named by a user",
    "basis_participants": "from the meeting's participants",
    "basis_inferred": "inferred from who asks the questions and who speaks first",
    "flag_roles_unknown": "Nobody could be identified as the candidate: the candidate's "
    "figures and scores are missing. Name the speakers (POST /v1/meetings/{{id}}/speakers).",
    "flag_roles_uncertain": "Who is the candidate is a guess ({candidate}, confidence "
    "{confidence}): check the roles, and name the speakers if they are wrong.",
    "rec_roles_unknown": "Insufficient evidence: it is not known which speaker is the "
    "candidate, so no recommendation can be made. Name the speakers and the report is "
    "rebuilt.",
    "rec_roles_uncertain": "Check that {candidate} is the candidate: the roles were inferred "
    "with low confidence.",
    "seconds": "{value} s",
    "minutes": "{value} min",
}

LANGUAGE = language.Language(
    code="en",
    fillers=FILLERS,
    filler_count=FILLER_COUNT,
    questions=QUESTIONS,
    pii=PII,
    texts=TEXTS,
    always_capitalised=language.words("i i'm i've i'll i'd"),
    abbreviations=language.words("mr mrs ms dr prof etc vs approx jr sr st"),
    stopwords=STOPWORDS,
    candidate_labels=("candidate", "applicant"),
    interviewer_labels=("interviewer", "recruiter", "hiring manager"),
)
