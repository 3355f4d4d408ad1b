#!/usr/bin/env python3
"""Writes docs/openapi.json, the API's contract (the router serves this file verbatim and the
tests hold the two together). Edit here, run `python3 scripts/gen_openapi.py`, commit both."""
import json, pathlib

STATUS = ["queued", "processing", "ready", "error", "deleted"]
STEP = ["transcribe", "extract", "analyze", "done"]
KIND = ["input", "provider", "unavailable", "timeout", "stale", "internal"]
ID = {"type": "string", "pattern": "^iv-[0-9a-f]{24}$"}
TIME = {"type": "string", "format": "date-time"}
SV = {"type": "integer", "const": 1, "description": "The format of this body."}

def obj(props, required=None, extra=False):
    return {"type": "object", "properties": props, "required": required if required is not None else list(props), "additionalProperties": extra}

def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}

def nullable(schema):
    return {"oneOf": [schema, {"type": "null"}]}

schemas = {
    "Problem": obj({
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong and what to do about it."},
        "field": {"type": "string", "description": "The request field at fault."},
        "schema_version": SV,
    }, ["type", "title", "status", "detail", "schema_version"]),
    "Counts": obj({k: {"type": "integer", "minimum": 0} for k in ["words", "speakers", "evidence", "themes"]}),
    "InterviewSummary": obj({
        "id": ID, "project": {"type": "string"}, "file_name": {"type": "string"},
        "status": {"enum": STATUS}, "step": {"enum": STEP},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "error_kind": {"enum": KIND + [None]}, "created_at": TIME, "updated_at": TIME,
        "counts": ref("Counts"),
    }),
    "InterviewList": obj({
        "schema_version": SV, "items": {"type": "array", "items": ref("InterviewSummary")},
        "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null at the end."},
    }),
    "TimelineEntry": obj({
        "step": {"enum": STEP}, "started_at": nullable(TIME), "finished_at": nullable(TIME),
        "attempts": {"type": "integer", "minimum": 0}, "duration_ms": {"type": ["integer", "null"], "minimum": 0},
        "worker": {"type": ["string", "null"]}, "reused": {"type": "boolean"},
    }),
    "ItemError": obj({
        "step": {"enum": STEP}, "kind": {"enum": KIND}, "message": {"type": "string"},
        "retryable": {"type": "boolean"}, "action": {"type": "string", "description": "What a person should do next."},
        "excerpt": {"type": ["string", "null"]}, "at": TIME,
    }),
    "Source": obj({
        "project": {"type": "string"}, "file_name": {"type": "string"}, "size_bytes": {"type": "integer", "minimum": 0},
        "content_type": {"type": ["string", "null"]}, "kind": {"enum": ["audio", "video", "transcript", "unknown"]},
    }),
    "Artifact": obj({"available": {"type": "boolean"}, "href": {"type": "string"}}),
    "ModelUsage": obj({
        "input_tokens": {"type": "integer", "minimum": 0}, "output_tokens": {"type": "integer", "minimum": 0},
        "requests": {"type": "integer", "minimum": 0}, "estimated_cost_usd": {"type": "number", "minimum": 0},
    }),
    "Interview": obj({
        "schema_version": SV, "id": ID, "status": {"enum": STATUS}, "step": {"enum": STEP},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100}, "run": {"type": "integer", "minimum": 1},
        "created_at": TIME, "updated_at": TIME,
        "timeline": {"type": "array", "items": ref("TimelineEntry")},
        "error": nullable(ref("ItemError")), "note": {"type": ["string", "null"]},
        "counts": ref("Counts"), "source": ref("Source"),
        "artifacts": obj({k: ref("Artifact") for k in ["transcript", "evidence", "analysis"]}),
        "model_usage": nullable(ref("ModelUsage")),
        "speakers": ref("SpeakerAssignments"),
        "interviewer_guess": {"type": "array", "items": {"type": "string"},
                              "description": "Speaker labels the analyzer took for the interviewer when nobody said who interviews; correct it with PUT /v1/interviews/{id}/speakers."},
    }),
    "Document": {"type": "object", "required": ["schema_version"], "properties": {"schema_version": {"type": "integer"}},
                 "description": "transcript.json, evidence.json or analysis.json of the current run (docs/schemas.md)."},
    "UploadRequest": obj({
        "project": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
        "file_name": {"type": "string", "minLength": 1, "maxLength": 1024},
        "content_type": {"type": "string", "maxLength": 127, "pattern": "^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$"},
        "size_bytes": {"type": "integer", "minimum": 1},
    }),
    "Upload": obj({
        "schema_version": SV, "interview_id": ID, "key": {"type": "string"}, "url": {"type": "string"},
        "method": {"const": "PUT"}, "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "expires_at": TIME,
    }),
    "RetryRequest": obj({"force": {"type": "boolean", "default": False}}, []),
    "Retry": obj({"schema_version": SV, "interview_id": ID, "run": {"type": "integer", "minimum": 1}, "resumes_at": {"enum": STEP}}),
    "SpeakerAssignment": obj({
        "name": {"type": "string", "minLength": 1, "maxLength": 80, "description": "The name the speaker's words are attributed to."},
        "role": {"enum": ["interviewer", "participant"], "description": "Overrides what the source or the analyzer decided."},
    }, []),
    "SpeakerAssignments": {"type": "object", "additionalProperties": ref("SpeakerAssignment"), "maxProperties": 64,
                           "description": "By the speaker label the transcript has (`spk_0`, `Rosa`): a name, a role, or both."},
    "SpeakersRequest": obj({"schema_version": SV, "speakers": ref("SpeakerAssignments")}, ["speakers"]),
    "Speakers": obj({"schema_version": SV, "interview_id": ID, "run": {"type": "integer", "minimum": 1},
                     "resumes_at": {"enum": STEP}, "speakers": ref("SpeakerAssignments")}),
    "Deleted": obj({"schema_version": SV, "interview_id": ID, "upload_removed": {"type": "boolean"}}),
    "Projects": obj({"schema_version": SV, "all_projects": {"type": "boolean"}, "projects": {"type": "array", "items": {"type": "string"}}}),
    "Overview": obj({
        "schema_version": SV, "projects": {"type": "array", "items": {"type": "string"}},
        "by_status": {"type": "object", "propertyNames": {"enum": STATUS},
                      "additionalProperties": {"type": "object", "propertyNames": {"enum": STEP}, "additionalProperties": {"type": "integer", "minimum": 0}}},
        "stuck": {"type": "integer", "minimum": 0}, "stuck_after_seconds": {"type": "integer", "minimum": 0},
        "oldest_live_age_seconds": {"type": ["integer", "null"], "minimum": 0},
        "errors_last_24h": {"type": "object", "propertyNames": {"enum": KIND}, "additionalProperties": {"type": "integer", "minimum": 0}},
        "generated_at": TIME,
    }),
}

def problem(desc):
    return {"description": desc, "content": {"application/problem+json": {"schema": ref("Problem")}}}

def ok(desc, schema, code="200"):
    return {code: {"description": desc, "content": {"application/json": {"schema": ref(schema)}}}}

COMMON = {"401": problem("No token, or a wrong one.")}
def responses(main, *codes):
    texts = {"400": "A parameter or body field is not valid; `field` names it.", "403": "The token does not grant the project.",
             "404": "No such interview, or one of a project the caller may not see.", "409": "The interview is not in a state that allows this.",
             "413": "The file is larger than the pipeline accepts; no URL is issued.", "422": "The interview failed on its input; retry with force.",
             "503": "A store or the bucket is busy; try again."}
    out = dict(main); out.update(COMMON)
    for c in codes + ("503",):
        out[c] = problem(texts[c])
    return out

IDP = {"name": "id", "in": "path", "required": True, "schema": ID}
def q(name, schema, desc):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}
PROJECT = q("project", {"type": "string"}, "Only this project (required for callers who see every project).")

paths = {
    "/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "This document.", "security": [],
        "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/v1/interviews": {"get": {"operationId": "listInterviews", "summary": "Interviews, newest first, a page at a time.",
        "parameters": [PROJECT,
            q("status", {"enum": STATUS}, "Only this status (deleted ones are left out otherwise)."),
            q("step", {"enum": STEP}, "Only interviews at this step."),
            q("error_kind", {"enum": KIND}, "Only failed interviews with this kind of error."),
            q("stuck", {"type": "boolean"}, "Only live interviews with no change for 15 minutes."),
            q("updated_since", TIME, "Only interviews changed at or after this time."),
            q("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Items per page."),
            q("cursor", {"type": "string"}, "`next_cursor` of the previous page.")],
        "responses": responses(ok("One page.", "InterviewList"), "400", "403")}},
    "/v1/interviews/{id}": {
        "get": {"operationId": "getInterview", "summary": "One interview as a person needs it.", "parameters": [IDP],
                "responses": responses(ok("The interview.", "Interview"), "404")},
        "delete": {"operationId": "deleteInterview", "summary": "Remove the upload; the interview turns deleted and its results go.",
                   "parameters": [IDP], "responses": responses(ok("The upload was removed.", "Deleted", "202"), "404", "409")}},
    "/v1/interviews/{id}/retry": {"post": {"operationId": "retryInterview", "summary": "A new run from the step that failed.",
        "parameters": [IDP], "requestBody": {"required": False, "content": {"application/json": {"schema": ref("RetryRequest")}}},
        "responses": responses(ok("The new run started.", "Retry", "202"), "400", "404", "409", "422")}},
    "/v1/interviews/{id}/speakers": {"put": {"operationId": "putSpeakers",
        "summary": "Name the speakers and say who interviews; a new run redoes extract and analyze (the transcript is reused).",
        "parameters": [IDP], "requestBody": {"required": True, "content": {"application/json": {"schema": ref("SpeakersRequest")}}},
        "responses": {**responses(ok("The assignments are recorded and the new run started.", "Speakers", "202"), "400", "404", "409"),
                      "422": problem("A label is not one of the transcript's speakers (the detail lists them), a name is not valid, or two speakers would share a name.")}}},
    "/v1/uploads": {"post": {"operationId": "createUpload", "summary": "A URL to PUT one file to.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("UploadRequest")}}},
        "responses": responses(ok("PUT the file to `url` with `headers` before `expires_at`.", "Upload", "201"), "400", "403", "413")}},
    "/v1/overview": {"get": {"operationId": "overview", "summary": "Counts by status and step, stuck interviews, recent errors.",
        "parameters": [PROJECT], "responses": responses(ok("The counts.", "Overview"), "400", "403")}},
    "/v1/projects": {"get": {"operationId": "projects", "summary": "The projects the caller may see.",
        "responses": responses(ok("The projects.", "Projects"))}},
}
for doc in ["transcript", "evidence", "analysis"]:
    paths[f"/v1/interviews/{{id}}/{doc}"] = {"get": {"operationId": f"get{doc.title()}", "summary": f"The current run's {doc}.json.",
        "parameters": [IDP], "responses": responses(ok(f"{doc}.json.", "Document"), "404")}}


# The project report (GET /v1/projects/{project}/report) and the status events stream (serve only).
paths["/v1/projects/{project}/report"] = {'get': {'operationId': 'getProjectReport',
         'summary': "The project's report: what recurs across its ready interviews (project-report.json, "
                    'docs/schemas.md). Rebuilt by itself a few seconds after an interview of the project '
                    'becomes ready, is re-analysed or is deleted.',
         'parameters': [{'name': 'project',
                         'in': 'path',
                         'required': True,
                         'schema': {'type': 'string', 'minLength': 1}}],
         'responses': {'200': {'description': 'project-report.json.',
                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/ProjectReport'}}}},
                       '400': {'description': 'A query parameter was given (this endpoint takes none).',
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}},
                       '401': {'description': 'No token, or a wrong one.',
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}},
                       '403': {'description': "The caller's token does not grant this project.",
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}},
                       '404': {'description': 'The project has no report yet (no ready interview, or the '
                                              'first build is still running).',
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}},
                       '503': {'description': 'A store or the bucket is busy; try again.',
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}}}}}
schemas["ProjectReport"] = {'type': 'object',
 'required': ['schema_version', 'analyzer', 'interview_ids', 'participant_count', 'themes'],
 'properties': {'schema_version': {'type': 'integer'},
                'analyzer': {'type': 'string'},
                'interview_ids': {'type': 'array', 'items': {'type': 'string'}},
                'participant_count': {'type': 'integer', 'minimum': 0},
                'themes': {'type': 'array', 'items': {'type': 'object'}},
                'ranked': {'type': 'object'},
                'disagreements': {'type': 'array'},
                'personas': {'type': 'array'},
                'inputs': {'type': 'array',
                           'items': {'type': 'object',
                                     'required': ['interview_id', 'updated_at'],
                                     'properties': {'interview_id': {'type': 'string'},
                                                    'updated_at': {'type': 'string',
                                                                   'format': 'date-time'}}}},
                'text_sources': {'type': 'object',
                                 'properties': {'themes': {'type': 'string',
                                                           'enum': ['unlabelled', 'template', 'model']}},
                                 'description': "Present when a model wrote the themes' titles and "
                                                'summaries; absent means template titles.'},
                'usage': {'type': 'object',
                          'properties': {'input_tokens': {'type': 'integer', 'minimum': 0},
                                         'output_tokens': {'type': 'integer', 'minimum': 0},
                                         'requests': {'type': 'integer', 'minimum': 0},
                                         'estimated_cost_usd': {'type': 'number'}},
                          'description': 'What the model calls cost; absent when no model was called.'}},
 'description': 'project-report.json (docs/schemas.md): recurring themes with participants and verbatim '
                'quotes, ranked pains/needs/requests, disagreements, persona groups; `inputs` are the '
                "interviews' item versions it was built from."}
paths["/v1/events"] = {'get': {'operationId': 'events',
         'summary': 'Interview status changes as Server-Sent Events (`interviews serve` only).',
         'description': 'An endless `text/event-stream`: one message per `Interview Status Changed` of the '
                        "caller's projects (`event: interview.status_changed`, `data:` the event JSON of "
                        'docs/events.md, `id:` its outbox sequence). Send `Last-Event-ID` to resume after an '
                        'event; without it the stream starts at the next change. Consumers order and '
                        'de-duplicate by (`id`, `version`) of the data. Not served by the `api` function on '
                        "AWS (the stack's EventBridge bus carries the same events).",
         'parameters': [{'name': 'project',
                         'in': 'query',
                         'required': False,
                         'schema': {'type': 'string'},
                         'description': 'Only this project (required for callers who see every project).'},
                        {'name': 'Last-Event-ID',
                         'in': 'header',
                         'required': False,
                         'schema': {'type': 'string', 'pattern': '^[0-9]{1,19}$'},
                         'description': 'Resume after this event id.'}],
         'responses': {'200': {'description': 'The stream; it stays open.',
                               'content': {'text/event-stream': {'schema': {'type': 'string'}}}},
                       '400': {'description': 'A parameter or body field is not valid; `field` names it.',
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}},
                       '401': {'description': 'No token, or a wrong one.',
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}},
                       '403': {'description': 'The token does not grant the project.',
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}},
                       '503': {'description': 'A store or the bucket is busy; try again.',
                               'content': {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}}}}}}

document = {
    "openapi": "3.1.0",
    "info": {"title": "Interview pipeline API", "version": "1",
             "description": "Interviews, their results, uploads and retries. Errors are application/problem+json (RFC 9457). Every body carries schema_version. See docs/api.md."},
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": paths,
    "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
        "description": "On AWS a JWT from the stack's user pool (groups project-<name>, admin); on `interviews serve` the token it printed."}}},
}
out = pathlib.Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
out.write_text(json.dumps(document, indent=2) + "\n")
print(f"wrote {out}")
