"""A tiny valid review, written as CSV text, that each test breaks in one place."""
from __future__ import annotations

from pathlib import Path

import pytest

REVIEW_YML = """review_id: tiny
title: Tiny review
kind: phase
phase: 1
authority: Test Council
audience: board
board: Test Board
meeting_date: 2009-02-12
author: Chief Executive
classification: Unrestricted
census_date: 2009-01-30
synthetic: true
"""

TABLES = {
    "teams": """team_id,team_name,area,district,team_type,agency
T1,Ashford duty,East,Ashford,duty_assessment,css
T2,Dartford long-term,West,Dartford,long_term,
""",
    "questions": """question_id,text,theme,scale
Q1,Thresholds are clear,Thresholds,agree4
Q2,Plans are clear,Plans,yes_partly_no
""",
    "questionnaire": """team_id,completed_date,respondent_role,Q1,Q2,comments
T1,2009-01-10,Team manager,agree,yes,COMMENT-one
T2,12/01/2009,Team manager,Strongly agree,partly,
""",
    "audit_criteria": """criterion_id,text,domain,reference
C01,Is the plan clear?,Planning,Para 30.2
C02,Is recording adequate?,Recording,Para 16
""",
    "case_audit": (
        "case_id,team_id,auditor,audit_date,record_source,age_years,category_of_abuse,referral_date,"
        "strategy_discussion_date,s47_start_date,icpc_date,cpp_start_date,first_core_group_date,"
        "review_conference_date,last_visit_date,last_visit_seen_alone,previous_cpp_count,interim_care_order_at_home,"
        "police_investigation_open,legal_dissent,C01,C02,grade_overall\n"
        "K1,T1,Auditor A,2009-01-20,ics_only,4,NEG,2008-09-01,2008-09-02,2008-09-03,2008-09-20,2008-09-20,2008-09-30,"
        "2008-12-15,2009-01-15,yes,0,no,no,no,yes,not_evidenced,good\n"
        "K2,T2,Auditor B,2009-01-21,ics_and_paper,9,Physical abuse,2008-10-01,2008-10-01,2008-10-02,2008-10-15,"
        "2008-10-15,,,2009-01-19,no,1,yes,no,no,no,na,requires_improvement\n"
    ),
    "monitoring": """month,area,referrals,s47_enquiries,icpcs,cpp_started,cpp_ended,cpp_open
2008-10,East,10,5,3,3,2,50
2008-10,West,12,6,4,4,1,60
2008-10,County,22,11,7,7,3,110
2008-11,East,11,5,3,2,1,51
2008-11,West,12,6,4,3,3,60
2008-11,County,23,11,7,5,4,111
2008-12,East,15,8,5,6,2,55
2008-12,West,14,7,5,5,1,64
2008-12,County,29,15,10,11,3,119
""",
    "workforce": """period,team_id,established_fte,in_post_fte,agency_fte,cases_cp,cases_lac,cases_cin
2008-12,T1,10,8,1,20,18,180
2008-12,T2,12,11,0,25,20,200
""",
    "evidence_map": """finding_id,finding,evidence,source,ref,phase,rag
JAR1,Weak procedures,Thresholds are clear,questionnaire,Q1,1,
JAR1,Weak procedures,Plans are clear,case_audit,C01,1,
JAR5,Poor plans,Conferences on time,timescale,icpc_timely,1,
JAR5,Poor plans,Qualified posts filled,workforce,vacancy_pct,1,
JAR6,Isolation,To be reviewed with partners,narrative,,2,grey
""",
    "recommendations": """rec_id,text,owner,phase,status,due_date
R1,Extend the audit,Review lead,1,proposed,31/03/2009
""",
}


def write_review(folder: Path, tables: dict[str, str] | None = None, review_yml: str = REVIEW_YML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "review.yml").write_text(review_yml, encoding="utf-8")
    for name, text in (tables if tables is not None else TABLES).items():
        if text is None:
            continue
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_review(tmp_path / "tiny")
