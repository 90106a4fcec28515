"""`python -m bench.run`: one benchmark run on a stack of its own, its figures printed and kept.

Starts PostgreSQL (durable: fsync and synchronous_commit on), NATS (`sync_interval: always`), the
SMTP sink, meetings, notify and the gateway, on free ports in a temporary folder; measures this
machine's ceilings against that PostgreSQL and NATS; loads the staff pages on a realistic volume
beside their own ceiling; drives the pipeline; writes `bench/results/latest.json`; and stops
everything it started, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from types import FrameType

from backbone.embedded import free_port
from backbone.logs import configure_logging
from bench import (
    ceilings,
    event_pages,
    event_registrations,
    fee_report,
    notify_cpu,
    notify_fanout,
    pages,
    pipeline,
    stages,
    webhooks,
)
from bench import volunteers as volunteer_bench
from bench.report import (
    RESULTS,
    Figure,
    against_ceiling,
    at_least,
    at_most,
    ceiling,
    table,
    write_json,
)
from devstack.stack import Ports, ServiceSpec, Stack

PIPELINE_TARGET_RATIO = 0.4  # issue 2: deliver at least 40% of the transaction ceiling
LATENCY_P50_TARGET_MS = 1000.0
LATENCY_P99_TARGET_MS = 2000.0
WARMUP_MEETINGS = 32
TX_CEILING = "pg_tx_row_plus_outbox_c16"
PAGE_CEILING = "fastapi_asyncpg_pk_c32"
# Issue 8: pages per second a signed-in person's pages must reach at 32 clients, and the start page's p99.
PAGE_TARGETS = {"start_page": 300.0, "meeting_page": 200.0, "search_page": 150.0}
START_PAGE_P99_TARGET_MS = 150.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "30")),
                        help="how long to create meetings (default 30, or $BENCH_SECONDS)")
    parser.add_argument("--ceiling-seconds", type=float,
                        default=float(os.environ.get("BENCH_CEILING_SECONDS", "8")),
                        help="how long to measure each ceiling (default 8, or $BENCH_CEILING_SECONDS)")
    parser.add_argument("--pages-seconds", type=float,
                        default=float(os.environ.get("BENCH_PAGES_SECONDS", "10")),
                        help="how long to load each page and the page ceiling (default 10, "
                        "or $BENCH_PAGES_SECONDS)")
    parser.add_argument("--pages-connections", type=int, default=pages.CONCURRENCY,
                        help=f"wrk connections for the pages and their ceiling (default {pages.CONCURRENCY}; "
                        "1 shows what one page costs alone)")
    parser.add_argument("--only",
                        choices=["pages", "pipeline", "fees", "webhooks", "volunteers", "events", "fanout"],
                        default=None, help="run only the page bench, the pipeline, the fee report, the "
                        "webhooks, volunteer matching and offer clicks, or the cancellation fan-out "
                        "(default all)")
    parser.add_argument("--profile-pages", choices=["gateway", "meetings"], action="append", default=[],
                        help="record this service with py-spy while each page is loaded (collapsed stacks, "
                        "<service>-<page>.txt in the kept folder; repeatable)")
    parser.add_argument("--fanout-registrants", type=int, default=notify_fanout.REGISTRANTS,
                        help=f"registrants of the cancelled event (default {notify_fanout.REGISTRANTS:,}, "
                        "the target's; fewer on a machine too busy to finish in --drain-seconds)")
    parser.add_argument("--drain-seconds", type=float, default=300.0,
                        help="how long to wait for the last email after the load stops (default 300)")
    parser.add_argument("--concurrency", type=int, default=pipeline.CONCURRENCY,
                        help="API clients creating meetings at once (default 16)")
    parser.add_argument("--rate", type=float, default=None,
                        help="start this many calls per second instead of as many as the API takes")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the services, e.g. NOTIFY_CONSUMER_BATCH_SIZE=256 (repeatable)")
    parser.add_argument("--skip-ceilings", action="store_true",
                        help="drive the pipeline only; compare with the ceiling in --output")
    parser.add_argument("--profile", choices=["meetings", "notify"], action="append", default=[],
                        help="run this service under cProfile and print where its time went")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, data, mail)")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    for item in args.env:
        if "=" not in item:
            parser.error(f"--env takes NAME=VALUE, not {item!r}")
    if args.seconds <= 0 or args.ceiling_seconds <= 0:
        parser.error("--seconds and --ceiling-seconds must be more than 0")
    return args


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("bench", "WARNING", "console")  # the bench's own output is its tables
    signal.signal(signal.SIGTERM, _interrupt)  # stop the stack on `kill` as on Ctrl-C
    var = Path(tempfile.mkdtemp(prefix="delaktig-bench-"))
    stack = Stack(
        var=var,
        ports=Ports.free(),
        # Every service the start page's cards ask, as `make run` has them: a card whose service is
        # missing would be measured as a failed connection instead of an answer.
        services=(ServiceSpec("meetings", free_port()), ServiceSpec("events", free_port()),
                  ServiceSpec("volunteers", free_port()), ServiceSpec("notify", free_port()),
                  ServiceSpec("gateway", free_port())),
        # The registration bench's clients are visitors of their own, each with its own address: the
        # gateway believes their X-Forwarded-For as it would its proxy's (bench/event_registrations.py).
        extra_env={"GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32",
                   **dict(item.split("=", 1) for item in args.env)},
        durable_postgres=True,
    )
    try:
        print(f"Starting PostgreSQL, NATS, the SMTP sink, meetings, events, volunteers, notify and the "
              f"gateway in {var} ...", flush=True)
        start(stack, args.profile)
        return asyncio.run(measure(stack, args))
    except KeyboardInterrupt:
        print("\nStopped before the end; nothing was written.", file=sys.stderr)
        return 130
    finally:
        print("Stopping the stack ...", flush=True)
        # A second Ctrl-C or kill must not interrupt the stopping and leave orphans behind.
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            stack.stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        for name in args.profile:
            show_profile(var / f"{name}.prof", name)
        if args.keep:
            print(f"Kept {var} (logs in {var / 'log'}).")
        else:
            shutil.rmtree(var, ignore_errors=True)


def start(stack: Stack, profiled: list[str]) -> None:
    stack.start_infrastructure()
    for spec in stack.services:
        if spec.name in profiled:
            # The same command as Stack.start_service, under cProfile; it writes the file on a clean stop.
            out = stack.var / f"{spec.name}.prof"
            argv = [sys.executable, "-m", "bench.profiled", str(out), spec.name, "api", "--migrate"]
            stack._spawn(spec.name, argv, stack.env_for(spec))
            stack.wait_ready(spec.name)
        else:
            stack.start_service(spec.name)


async def measure(stack: Stack, args: argparse.Namespace) -> int:
    figures: list[Figure] = []
    page_details: dict[str, object] = {}
    if args.only == "pages":
        page_figures, page_details = await measure_pages(stack, args)
        return _finish(page_figures, args, {"pages": page_details})
    if args.only == "fees":
        only_fees, about_fees = await measure_fee_report(stack)
        print(table(only_fees))
        return _finish(only_fees, args, {"fee_report": about_fees})
    if args.only == "volunteers":
        only_volunteers, about_volunteers = await measure_volunteers(stack)
        print(table(only_volunteers))
        return _finish(only_volunteers, args, {"volunteers": about_volunteers})
    if args.only == "events":
        only_events, about_events = await measure_events(stack, args)
        print(table(only_events))
        return _finish(only_events, args, about_events)
    if args.only == "fanout":
        only_fanout, about_fanout = await measure_fanout(stack, args)
        print(table(only_fanout))
        return _finish(only_fanout, args, {"fanout": about_fanout})
    if args.only == "webhooks":
        only_webhooks, about_webhooks = await measure_webhooks(stack)
        print(table(only_webhooks))
        return _finish(only_webhooks, args, {"webhooks": about_webhooks})
    if args.skip_ceilings:
        figures += _previous_ceilings(args.output)
        tx = figures[0]
    else:
        print(f"Measuring ceilings, {args.ceiling_seconds:.0f} s each ...", flush=True)
        pg = await ceilings.postgres_outbox_transactions(
            stack.postgres.dsn(ceilings.SCRATCH_DATABASE), seconds=args.ceiling_seconds
        )
        published, consumed = await ceilings.jetstream_publish_and_consume(
            stack.nats.url, seconds=args.ceiling_seconds
        )
        tx = ceiling(TX_CEILING, pg.per_second, "tx/s")
        figures += [
            tx,
            ceiling("js_publish_batched", published.per_second, "msgs/s"),
            ceiling("js_pull_consume_ack", consumed.per_second, "msgs/s"),
        ]

    fee_details: dict[str, object] = {}
    webhook_details: dict[str, object] = {}
    volunteer_details: dict[str, object] = {}
    event_details: dict[str, object] = {}
    if args.only != "pipeline":
        page_figures, page_details = await measure_pages(stack, args)
        figures += page_figures
        fee_figures, fee_details = await measure_fee_report(stack)
        figures += fee_figures
        webhook_figures, webhook_details = await measure_webhooks(stack)
        figures += webhook_figures
        volunteer_figures, volunteer_details = await measure_volunteers(stack)
        figures += volunteer_figures
        event_figures, event_details = await measure_events(stack, args)
        figures += event_figures

    def headers() -> dict[str, str]:
        return stack.system_headers("meetings")

    print("Warming up the pipeline ...", flush=True)
    warm = await pipeline.create_meetings(stack.url("meetings"), headers, run_id="warm",
                                          seconds=0.001, concurrency=WARMUP_MEETINGS)
    await pipeline.wait_for_emails(warm, stack.maildir, timeout=60.0)

    run_id = uuid.uuid4().hex[:8]
    meter = stages.CpuMeter(_processes(stack), with_children={"postgres"})
    idle = await notify_cpu.idle_rates(meter)  # what each process uses doing nothing, per second
    pace = f", at most {args.rate:g}/s" if args.rate else ""
    print(f"Creating meetings for {args.seconds:.0f} s at concurrency {args.concurrency}{pace} ...",
          flush=True)
    meter.start()
    load = await pipeline.create_meetings(stack.url("meetings"), headers, run_id=run_id,
                                          seconds=args.seconds, concurrency=args.concurrency,
                                          rate=args.rate)
    print(f"Waiting for {len(load.accepted)} emails in the Maildir ...", flush=True)
    await pipeline.wait_for_emails(load, stack.maildir, timeout=args.drain_seconds)
    cpu = meter.stop()
    summary = pipeline.summarise(load)
    breakdown = await stages.stage_breakdown(
        load, meetings_dsn=stack.postgres.dsn("meetings"), notify_dsn=stack.postgres.dsn("notify")
    )
    fanout_details: dict[str, object] = {}
    if args.only != "pipeline":
        # After the pipeline, so its Maildir watch does not read the fan-out's 10,000 files.
        fanout_figures, fanout_details = await measure_fanout(stack, args)
        figures += fanout_figures
    figures += [
        against_ceiling("pipeline", summary.throughput, "meetings/s", tx, PIPELINE_TARGET_RATIO),
        at_most("pipeline_latency_p50", summary.latency_p50_ms, "ms", LATENCY_P50_TARGET_MS),
        at_most("pipeline_latency_p99", summary.latency_p99_ms, "ms", LATENCY_P99_TARGET_MS),
        *notify_cpu.figures(cpu, summary.delivered),
    ]

    print()
    print(table(figures))
    print()
    print(f"Meetings: {summary.accepted} accepted by the API in {args.seconds:.0f} s "
          f"({summary.api_rate:,.1f}/s, API p50 {summary.api_p50_ms:,.1f} ms, "
          f"p99 {summary.api_p99_ms:,.1f} ms); "
          f"{summary.delivered} emails delivered over {summary.span_seconds:,.1f} s.")
    print()
    print("Where the time goes (per meeting, from the services' own timestamps):")
    print(stages.stages_table(breakdown))
    print()
    print(f"CPU from the first call to the last email ({summary.span_seconds:,.1f} s; this machine has "
          f"{os.cpu_count()} cores; `other` is everything else running on it):")
    print(stages.cpu_table(cpu, summary.span_seconds, summary.delivered))
    print(notify_cpu.describe(cpu, summary.delivered, idle=idle, seconds=summary.span_seconds))
    if args.env:
        print("\nSettings: " + " ".join(args.env))

    problems = []
    if summary.api_errors:
        problems.append(f"{summary.api_errors} API calls failed, e.g. {load.errors[:2]}")
    if summary.missing:
        problems.append(f"{summary.missing} emails did not arrive within {args.drain_seconds:.0f} s")
    if problems:
        print("\nThe run is not valid: " + "; ".join(problems) + f". See the logs in {stack.var / 'log'} "
              "(run again with --keep to look at them).", file=sys.stderr)
        return 1
    path = write_json(figures, args.output)
    details: dict[str, object] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "settings": args.env,
        "pipeline": asdict(summary),
        "stages": [asdict(s) for s in breakdown],
        "cpu_seconds": cpu,
        "cpu_ms_per_email": notify_cpu.per_email(cpu, summary.delivered),
        "cpu_ms_per_email_less_idle": notify_cpu.per_email(
            notify_cpu.less_idle(cpu, idle, summary.span_seconds), summary.delivered
        ),
        "idle_cpu_per_second": idle,
        "pages": page_details,
        "fee_report": fee_details,
        "webhooks": webhook_details,
        "volunteers": volunteer_details,
        "fanout": fanout_details,
        **event_details,
    }
    path.with_name(path.stem + "-details.json").write_text(json.dumps(details, indent=2) + "\n")
    print(f"\nWrote {path}.")
    return 0


async def measure_fee_report(stack: Stack) -> tuple[list[Figure], dict[str, object]]:
    """Issue 10: the monthly fee report for 5,000 volunteers, at most 1 s (bench/fee_report.py)."""
    volume = fee_report.Volume()
    print(f"Seeding a volunteers database ({volume.volunteers:,} volunteers, a year of hours) and "
          f"building the fee report {volume.runs} times ...", flush=True)
    return await fee_report.measure(stack.postgres.dsn(fee_report.DATABASE), volume)


async def measure_volunteers(stack: Stack) -> tuple[list[Figure], dict[str, object]]:
    """Issue 10: matching against 5,000 volunteers (p99 at most 100 ms) and 200 concurrent accept
    clicks for 20 places (exactly 20 accepted, nobody booked twice) (bench/volunteers.py)."""
    volume = volunteer_bench.Volume()
    print(f"Seeding a volunteers database ({volume.volunteers:,} volunteers, 50,000 assignments), matching "
          f"{volume.runs} times and answering {volume.clicks} offers at once ...", flush=True)
    return await volunteer_bench.measure(stack.postgres.dsn(volunteer_bench.DATABASE), volume)


async def measure_events(stack: Stack, args: argparse.Namespace) -> tuple[list[Figure], dict[str, object]]:
    """Issue 9: the event page and the feed, then the public registrations; details under "events"
    and "event_registrations"."""
    page_figures, page_details = await measure_event_pages(stack, args)
    registration_figures, registration_details = await measure_event_registrations(stack, args)
    return page_figures + registration_figures, {"events": page_details,
                                                 "event_registrations": registration_details}


async def measure_event_registrations(
    stack: Stack, args: argparse.Namespace
) -> tuple[list[Figure], dict[str, object]]:
    """Issue 9: 1,000 registrations at once for 100 places, and 200 in a row, through the gateway's
    public form (bench/event_registrations.py)."""
    print(f"Registering {event_registrations.CONCURRENT:,} visitors at once for {event_registrations.PLACES} "
          f"places, then {event_registrations.SEQUENTIAL} one after another ...", flush=True)
    return await event_registrations.measure(
        events_url=stack.url("events"),
        gateway_url=stack.url("gateway"),
        sign=lambda: stack.system_headers("events"),
        events_dsn=stack.postgres.dsn("events"),
        ceiling_dsn=stack.postgres.dsn(event_registrations.CEILING_DATABASE),
        ceiling_seconds=args.ceiling_seconds,
        processes={k: v for k, v in _processes(stack).items() if k in ("gateway", "events", "postgres")},
    )


async def measure_event_pages(
    stack: Stack, args: argparse.Namespace
) -> tuple[list[Figure], dict[str, object]]:
    """Issue 9: a visitor's event page through the gateway, and the feed of 1,000 events, cold and 304
    (bench/event_pages.py)."""
    print(f"Making {event_pages.EVENTS:,} events, then loading an event page and the feed ...", flush=True)
    return await event_pages.measure(
        events_url=stack.url("events"),
        gateway_url=stack.url("gateway"),
        sign=lambda: stack.system_headers("events"),
        seconds=args.pages_seconds,
        connections=args.pages_connections,
        ceiling_dsn=stack.postgres.dsn("meetings"),
        ceiling_log=stack.log_of("ceiling_app"),
        processes={k: v for k, v in _processes(stack).items() if k in ("events", "postgres")},
    )


async def measure_fanout(stack: Stack, args: argparse.Namespace) -> tuple[list[Figure], dict[str, object]]:
    """Issue 11: an event with 10,000 registrants cancelled, every email in the sink within 15 s
    (bench/notify_fanout.py)."""
    print(f"Registering {args.fanout_registrants:,} people for an event, then cancelling it ...", flush=True)
    meter = stages.CpuMeter(_processes(stack), with_children={"postgres"})
    figures, details = await notify_fanout.measure(
        events_url=stack.url("events"),
        sign=lambda: stack.system_headers("events"),
        events_dsn=stack.postgres.dsn("events"),
        notify_dsn=stack.postgres.dsn("notify"),
        maildir=stack.maildir,
        attempts_log=stack.mail_attempts_log,
        meter=meter,
        registrants=args.fanout_registrants,
        timeout=args.drain_seconds,
    )
    print(notify_fanout.describe(details))
    return figures, details


async def measure_webhooks(stack: Stack) -> tuple[list[Figure], dict[str, object]]:
    """Issue 11: 1,000 webhook deliveries to a local receiver, at least 500/s (bench/webhooks.py)."""
    print(f"Delivering {webhooks.DELIVERIES:,} webhooks to a receiver that checks each signature ...",
          flush=True)
    return await webhooks.measure(stack.postgres.dsn(webhooks.DATABASE))


async def measure_pages(stack: Stack, args: argparse.Namespace) -> tuple[list[Figure], dict[str, object]]:
    """The staff pages on a realistic volume, signed in, at 32 clients, beside the ceiling app."""
    dsn = stack.postgres.dsn("meetings")
    volume = pages.Volume()
    print(f"Seeding the meetings database ({volume.meetings:,} meetings, {volume.organisations} "
          f"organisations, {volume.people:,} people) ...", flush=True)
    counts = await pages.seed(dsn, volume)
    meeting_id, ceiling_row = await pages.pick_targets(dsn)
    gateway = next(spec for spec in stack.services if spec.name == "gateway")
    email, password = await pages.demo_sign_in([sys.executable, "-m", "gateway", "demo-admin"],
                                               stack.env_for(gateway))
    cookie = await pages.sign_in(stack.url("gateway"), email, password)
    base = stack.url("gateway")
    targets = {
        "start_page": (f"{base}/", "Start"),
        "meeting_page": (f"{base}/meetings/{meeting_id}", "Protokoll"),
        "search_page": (f"{base}/search?q={pages.SEARCH_TERM}", pages.SEARCH_TERM),
    }
    for url, must in targets.values():
        await pages.check_page(url, cookie, must)
    print(f"Measuring the page ceiling and three pages, {args.pages_seconds:.0f} s each, "
          f"{args.pages_connections} connections ...", flush=True)
    with pages.ceiling_server(dsn, stack.log_of("ceiling_app")) as ceiling_url:
        top = pages.load(PAGE_CEILING, f"{ceiling_url}/meetings/{ceiling_row}", seconds=args.pages_seconds,
                         connections=args.pages_connections)
    runs = []
    # CPU per page: the gateway with its worker processes, PostgreSQL with its backends.
    # The start page's cards ask events, volunteers and notify too: their CPU is the page's as well.
    watched = {k: v for k, v in _processes(stack).items()
               if k in ("gateway", "meetings", "events", "volunteers", "notify", "postgres")}
    meter = stages.CpuMeter(watched, with_children={"gateway", "postgres"})
    for name, (url, _must) in targets.items():
        spies = [_py_spy(stack, service, name, args.pages_seconds + pages.WARMUP_SECONDS)
                 for service in args.profile_pages]
        runs.append(pages.load(name, url, seconds=args.pages_seconds, cookie=cookie,
                               connections=args.pages_connections, meter=meter))
        for spy in spies:
            spy.wait(60)
    bad = [r for r in [top, *runs] if r.not_ok or r.socket_errors]
    if bad:
        raise SystemExit("The page bench is not valid: " + "; ".join(
            f"{r.name} had {r.not_ok} answers other than 200 and {r.socket_errors} socket errors"
            for r in bad) + f". See the logs in {stack.var / 'log'} (run again with --keep).")
    ceil = ceiling(PAGE_CEILING, top.per_second, "req/s")
    figures = [ceil]
    for run in runs:
        figures.append(at_least(run.name, run.per_second, "pages/s", ceil, PAGE_TARGETS[run.name]))
        if run.name == "start_page":
            figures.append(at_most("start_page_p99", run.p99_ms, "ms", START_PAGE_P99_TARGET_MS))
    print()
    print(table(figures))
    print()
    for run in [top, *runs]:
        print(f"{run.name}: {run.requests:,} answers in {run.seconds:.1f} s, p50 {run.p50_ms:,.1f} ms, "
              f"p99 {run.p99_ms:,.1f} ms, max {run.max_ms:,.1f} ms ({run.path})")
        if run.cpu_ms_per_page:
            print("    CPU ms per page: " + ", ".join(f"{k} {v:.2f}" for k, v in run.cpu_ms_per_page.items())
                  + " (other: the rest of the machine, wrk included)")
    print()
    details: dict[str, object] = {
        "seconds": args.pages_seconds,
        "concurrency": args.pages_connections,
        "volume": counts,
        "runs": [{**asdict(r), "per_second": round(r.per_second, 1)} for r in [top, *runs]],
    }
    return figures, details


def _py_spy(stack: Stack, service: str, page: str, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy on a service for the length of one page load, written next to the logs."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("--profile-pages needs py-spy: `.venv/bin/pip install py-spy`.")
    out = stack.var / f"{service}-{page}.txt"
    print(f"Recording {service} with py-spy into {out} ...", flush=True)
    return subprocess.Popen([spy, "record", "--pid", str(stack.procs[service].pid), "--duration",
                             str(int(seconds)), "--rate", "100", "--format", "raw", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _finish(figures: list[Figure], args: argparse.Namespace, details: dict[str, object]) -> int:
    # One part of the bench (--only): the other parts' rows and details in the files stay as they were.
    path = write_json(figures, args.output, keep_others=True)
    details_path = path.with_name(path.stem + "-details.json")
    try:
        extra = json.loads(details_path.read_text())
    except (OSError, ValueError):
        extra = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    extra.update(details, **{f"when_{key}": now for key in details})
    details_path.write_text(json.dumps(extra, indent=2) + "\n")
    print(f"Wrote {path}.")
    return 0


def _previous_ceilings(path: Path) -> list[Figure]:
    """The ceilings of an earlier run, transaction ceiling first, so a pipeline-only run still compares."""
    try:
        found = [Figure(**item) for item in json.loads(path.read_text()) if item["ceiling_name"] is None
                 and item["target"] is None and item["name"] != PAGE_CEILING]
    except (OSError, ValueError, KeyError, TypeError):
        found = []
    found.sort(key=lambda f: f.name != TX_CEILING)
    if not found or found[0].name != TX_CEILING:
        raise SystemExit(f"--skip-ceilings needs the ceilings in {path}; run once without it first.")
    return found


def _processes(stack: Stack) -> dict[str, int]:
    found = {name: proc.pid for name, proc in stack.procs.items()}
    if stack.postgres.proc is not None:
        found["postgres"] = stack.postgres.proc.pid
    if stack.nats.proc is not None:
        found["nats"] = stack.nats.proc.pid
    found["bench"] = os.getpid()
    return found


def show_profile(path: Path, name: str, top: int = 25) -> None:
    if not path.exists():
        print(f"No profile of {name} (it did not stop cleanly).", file=sys.stderr)
        return
    print(f"\nWhere {name}'s main thread spent its time (cProfile, by own time):")
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(top)
    print(f"\n... and by cumulative time, {name} code only:")
    stats.sort_stats("cumulative").print_stats(rf"{name}/|backbone/", top)


if __name__ == "__main__":
    sys.exit(main())
