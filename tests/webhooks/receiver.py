"""A webhook receiver for tests/tests/webhooks.rs: refuses the first N requests with HTTP 500,
then verifies each with the Standard Webhooks reference library and records it.

    receiver.py PORT_FILE OUT_FILE SECRET FAILURES

Writes its port to PORT_FILE once listening; appends one JSON line per request to OUT_FILE:
{"outcome": "refused"|"verified"|"bad-signature", "received_at": unix seconds,
 "webhook_id": ..., "event": the verified body}.
"""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

port_file, out_file, secret, failures = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
webhook = Webhook(secret)
seen = {"requests": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        received_at = time.time()
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        seen["requests"] += 1
        record = {"received_at": received_at, "webhook_id": self.headers.get("webhook-id")}
        if seen["requests"] <= failures:
            record["outcome"] = "refused"
            status = 500
        else:
            try:
                record["event"] = webhook.verify(body, dict(self.headers.items()))
                record["outcome"] = "verified"
                status = 204
            except WebhookVerificationError as e:
                record["outcome"] = "bad-signature"
                record["reason"] = str(e)
                status = 400
        with open(out_file, "a") as out:
            out.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
