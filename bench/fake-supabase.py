#!/usr/bin/env python3
"""A Supabase Management API fake for benchmarks: every project answers healthy, with a PITR
window ending now and 7 daily physical backups, in the documented response shapes of
GET /v1/projects/{ref}, GET /v1/projects/{ref}/health?services=db and
GET /v1/projects/{ref}/database/backups. It never rate-limits. Counts requests per path kind
and prints the counts on SIGTERM.

    bench/fake-supabase.py 127.0.0.1:19854
"""
import json
import signal
import sys
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {"project": 0, "health": 0, "backups": 0, "other": 0}


def backups_body():
    now = datetime.now(timezone.utc).replace(microsecond=0)
    backups = []
    for day in range(7, 0, -1):
        at = (now - timedelta(days=day)).replace(hour=4, minute=0, second=0)
        backups.append({"id": 8 - day, "is_physical_backup": True, "status": "COMPLETED",
                        "inserted_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
    latest = int(time.time())
    return {"region": "us-east-1", "walg_enabled": True, "pitr_enabled": True,
            "backups": backups,
            "physical_backup_data": {"earliest_physical_backup_date_unix": latest - 7 * 86400,
                                     "latest_physical_backup_date_unix": latest - 30}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[:2] != ["v1", "projects"]:
            COUNTS["other"] += 1
            return self.answer(404, {"message": "not found"})
        ref, rest = parts[2], parts[3:]
        if rest == []:
            COUNTS["project"] += 1
            return self.answer(200, {
                "id": ref, "ref": ref, "organization_id": "benchorg", "name": ref,
                "region": "us-east-1", "created_at": "2026-01-05T10:00:00.000Z",
                "status": "ACTIVE_HEALTHY",
                "database": {"host": f"db.{ref}.supabase.co", "version": "15.8.1.085",
                             "postgres_engine": "15", "release_channel": "ga"}})
        if rest == ["health"]:
            COUNTS["health"] += 1
            services = [kv[len("services="):] for kv in query.split("&") if kv.startswith("services=")]
            return self.answer(200, [{"name": s, "healthy": True, "status": "ACTIVE_HEALTHY"}
                                     for s in services])
        if rest == ["database", "backups"]:
            COUNTS["backups"] += 1
            return self.answer(200, backups_body())
        COUNTS["other"] += 1
        return self.answer(404, {"message": "not found"})


def main():
    host, _, port = sys.argv[1].rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True

    def stop(*_):
        print(json.dumps(COUNTS), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
