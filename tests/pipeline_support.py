"""Test support for the pipeline: a moto server, an organization builder, a fault-injecting proxy.

Everything listens on 127.0.0.1 only. iamgate reaches moto exactly the way it reaches
AWS — boto3's standard configuration with ``AWS_ENDPOINT_URL`` — so the tests exercise
the real code path. moto partitions IAM by account: AssumeRole into
``arn:aws:iam::<id>:role/...`` returns credentials that moto maps back to ``<id>``
(moto/sts/models.py ``_create_access_key``; moto/core/responses.py
``get_current_account``), so every member account has its own IAM. MOTO_ACCOUNT_ID
must stay unset: it would override that mapping and put every account in one.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import re
import shutil
import socket
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

REPO = Path(__file__).resolve().parent.parent
MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account: the caller with "testing" keys
DEPLOY_ROLE = "OrganizationAccountAccessRole"  # moto creates it in every new member account


# --- the moto server ----------------------------------------------------------------------


def accept_policy_variables_in_arns() -> None:
    """Work around a moto bug: its policy validator splits a Resource ARN on ":", so the
    ``${aws:PrincipalAccount}`` in ``arn:aws:iam::${aws:PrincipalAccount}:role/x`` breaks
    it apart and moto answers MalformedPolicyDocument; IAM accepts the variable there
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
    The patch changes the fake, in the test process that runs it, never iamgate: moto
    validates the ARN with each variable read as one opaque segment.
    """
    from moto.iam import policy_validation

    validator = policy_validation.BaseIAMPolicyValidator
    original = validator._validate_resource_format
    if getattr(original, "accepts_policy_variables", False):
        return

    def validate(self: Any, resource: str) -> None:
        original(self, re.sub(r"\$\{[^}]*\}", "variable", resource))

    validate.accepts_policy_variables = True  # type: ignore[attr-defined]
    validator._validate_resource_format = validate  # type: ignore[method-assign]


class MotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1 and a port the OS picks."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        accept_policy_variables_in_arns()
        os.environ.pop("MOTO_ACCOUNT_ID", None)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        # port=0 binds a free port; the bound one is only known from the server socket.
        self.host, self.port = self._server.get_host_and_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Forget every account, organization and policy (moto's own reset API)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def stop(self) -> None:
        self._server.stop()


def aws_env(endpoint: str, **extra: str) -> dict[str, str]:
    """boto3's standard configuration pointed at ``endpoint``, with fake credentials.

    No profile or config file is read, so nothing on the machine can send a call elsewhere.
    """
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_RETRY_MODE": "standard",
        "AWS_MAX_ATTEMPTS": "3",
        "CI": "true",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    }
    env.update(extra)
    return env


AWS_VARIABLES_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_REGION",
    "MOTO_ACCOUNT_ID",
    "CI_COMMIT_SHA",
)


def apply_env(monkeypatch: Any, env: dict[str, str]) -> None:
    for name in AWS_VARIABLES_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def client(service: str, endpoint: str, **credentials: str) -> Any:
    """A test-side boto3 client (the management account unless credentials say otherwise)."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=credentials.get("aws_access_key_id", "testing"),
        aws_secret_access_key=credentials.get("aws_secret_access_key", "testing"),
        aws_session_token=credentials.get("aws_session_token"),
    )


def member_iam(endpoint: str, account_id: str) -> Any:
    """The IAM of one member account, reached the same way iamgate does (AssumeRole)."""
    sts = client("sts", endpoint)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{DEPLOY_ROLE}", RoleSessionName="test"
    )["Credentials"]
    return client(
        "iam",
        endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


# --- the organization ---------------------------------------------------------------------


@dataclass
class Org:
    """An organization built in moto: account ids and OU ids by name."""

    endpoint: str
    accounts: dict[str, str] = field(default_factory=dict)  # name -> id
    ous: dict[str, str] = field(default_factory=dict)  # path -> id
    root: str = ""
    suspended: set[str] = field(default_factory=set)  # names

    def id(self, name: str) -> str:
        return self.accounts[name]

    def ids(self, *names: str) -> set[str]:
        return {self.accounts[n] for n in names}

    def iam(self, name: str) -> Any:
        return member_iam(self.endpoint, self.accounts[name])


# The default tree: nested OUs, seven member accounts, one of them suspended.
DEFAULT_TREE: dict[str, list[str]] = {
    "Workloads": [],
    "Workloads/Dev": ["dev-1", "dev-2"],
    "Workloads/Dev/Sandbox": ["dev-sandbox"],  # nested below Dev: targeted with it
    "Workloads/Prod": ["prod-1", "prod-2", "prod-old"],
    "Infrastructure": ["shared-services"],  # in no target
}


# The default tree's accounts by the deploy target (CONFIG) that reaches them.
DEV = ("dev-1", "dev-2", "dev-sandbox")
PROD = ("prod-1", "prod-2")
# make_project's policies: every targeted account gets SHARED, dev accounts DEV_ONLY too.
SHARED = {"TeamBoundary", "service-reader", "service-logs"}
DEV_ONLY = {"service-dev-scratch"}


def fresh_org(
    moto: MotoServer, monkeypatch: Any, env: dict[str, str] | None = None, **build: Any
) -> Org:
    """Forget everything moto holds, point boto3 at it (``env`` overrides aws_env's
    settings), and build an organization (``build``: build_org's options)."""
    moto.reset()
    apply_env(monkeypatch, aws_env(moto.endpoint, **(env or {})))
    return build_org(moto.endpoint, **build)


def build_org(
    endpoint: str,
    tree: dict[str, list[str]] | None = None,
    suspended: tuple[str, ...] = ("prod-old",),
    tags: dict[str, dict[str, str]] | None = None,
) -> Org:
    org_client = client("organizations", endpoint)
    org_client.create_organization(FeatureSet="ALL")
    org = Org(endpoint)
    org.root = org_client.list_roots()["Roots"][0]["Id"]
    for path, names in (tree or DEFAULT_TREE).items():
        parent_path, _, name = path.rpartition("/")
        parent = org.ous[parent_path] if parent_path else org.root
        ou = org_client.create_organizational_unit(ParentId=parent, Name=name)
        org.ous[path] = ou["OrganizationalUnit"]["Id"]
        for account in names:
            account_tags = [
                {"Key": k, "Value": v} for k, v in (tags or {}).get(account, {}).items()
            ]
            status = org_client.create_account(
                AccountName=account, Email=f"{account}@example.com", Tags=account_tags
            )
            account_id = status["CreateAccountStatus"]["AccountId"]
            org.accounts[account] = account_id
            org_client.move_account(
                AccountId=account_id, SourceParentId=org.root, DestinationParentId=org.ous[path]
            )
    for name in suspended:
        org_client.close_account(AccountId=org.accounts[name])
        org.suspended.add(name)
    return org


# --- projects -----------------------------------------------------------------------------


def policy_document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def s3_read(bucket: str, sid: str = "Read") -> dict[str, Any]:
    return policy_document(
        {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        }
    )


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


CONFIG = """\
delegation:
  prefix: service-
lint:
  fail-on: error
deploy:
  role: {role}
  path: /
  concurrency: {concurrency}
  targets:
    - name: dev
      ous: [Workloads/Dev]
      policies: [boundaries/*.json, policies/*.json, policies/dev/*.json]
    - name: prod
      ous: [Workloads/Prod]
      policies: [boundaries/*.json, policies/*.json]
"""


def make_project(root: Path, concurrency: int = 4, config: str | None = None) -> Path:
    """A small project: a boundary, two shared policies, one dev-only policy."""
    root.mkdir(parents=True, exist_ok=True)
    text = config or CONFIG.format(role=DEPLOY_ROLE, concurrency=concurrency)
    (root / "iamgate.yaml").write_text(text, encoding="utf-8")
    write_json(root / "boundaries" / "TeamBoundary.json", s3_read("team-bucket", "Boundary"))
    write_json(root / "policies" / "service-reader.json", s3_read("team-bucket"))
    write_json(root / "policies" / "service-logs.json", s3_read("team-logs"))
    write_json(root / "policies" / "dev" / "service-dev-scratch.json", s3_read("dev-scratch"))
    return root


def copy_from_repo(root: Path, names: Iterable[str]) -> Path:
    """Copy these files and folders of the repository into ``root`` (absent ones skipped)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        elif source.is_file():
            shutil.copy2(source, root / name)
    return root


def copy_example(root: Path) -> Path:
    """The repository's example project (iamgate.yaml, policies/, boundaries/, scps/, rcps/)."""
    return copy_from_repo(root, ("iamgate.yaml", "policies", "boundaries", "scps", "rcps"))


# --- reading live state back --------------------------------------------------------------


@dataclass(frozen=True)
class LiveState:
    default: dict[str, Any]
    versions: int
    default_version: str
    defaults_count: int  # versions flagged default: exactly 1, always
    tags: dict[str, str]


RECORD = "IamgateDeployedCommit"  # iamgate's record of the deployed commit (deployment.py)


def live_policies(iam: Any, *, record: bool = False) -> dict[str, LiveState]:
    """The account's managed policies; iamgate's record of the deployed commit only if asked."""
    out: dict[str, LiveState] = {}
    details = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])
    for item in details["Policies"]:
        name = item["Arn"].rsplit("/", 1)[-1]
        if name == RECORD and not record:
            continue
        versions = item["PolicyVersionList"]
        defaults = [v for v in versions if v["IsDefaultVersion"]]
        document = defaults[0]["Document"] if defaults else {}
        if isinstance(document, str):
            document = json.loads(unquote(document))
        tags = {t["Key"]: t["Value"] for t in iam.list_policy_tags(PolicyArn=item["Arn"])["Tags"]}
        out[name] = LiveState(
            document, len(versions), item["DefaultVersionId"], len(defaults), tags
        )
    return out


def deployed_commit(iam: Any) -> str:
    """The commit iamgate recorded in the account ("" for none); "applying:<sha>" mid-apply."""
    state = live_policies(iam, record=True).get(RECORD)
    if state is None:
        return ""
    sid = state.default["Statement"][0]["Sid"]
    if sid.startswith("IamgateApplying"):
        return "applying:" + sid.removeprefix("IamgateApplying")
    return sid.removeprefix("IamgateCommit")


def expected_documents(project: Path, account: str) -> dict[str, Any]:
    """The documents make_project's configuration deploys to one account of the default tree."""
    files = {p.stem: p for p in (project / "boundaries").glob("*.json")}
    files |= {p.stem: p for p in (project / "policies").glob("*.json")}
    if account in DEV:
        files |= {p.stem: p for p in (project / "policies" / "dev").glob("*.json")}
    return {name: json.loads(path.read_text()) for name, path in files.items()}


def converged(org: Org, project: Path, name: str) -> bool:
    live = live_policies(org.iam(name))
    want = expected_documents(project, name)
    return set(live) == set(want) and all(live[p].default == want[p] for p in want)


def assert_every_policy_has_one_default(org: Org) -> None:
    for name in org.accounts:
        if name in org.suspended:
            continue
        for policy, state in live_policies(org.iam(name)).items():
            assert state.defaults_count == 1 and state.default_version, (name, policy)


# --- iamgate in-process -------------------------------------------------------------------


class Run:
    """iamgate in-process (the speed path) on one project; its exit code, stdout and stderr."""

    def __init__(self, capsys: Any, project: Path) -> None:
        self.capsys = capsys
        self.project = project

    def __call__(self, *args: str) -> tuple[int, str, str]:
        from iamgate.cli import main

        code = main([*args, "--config", str(self.project / "iamgate.yaml")])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self(*args, "--format", "json")
        assert out, err
        return code, json.loads(out)


# --- the fault-injecting proxy ------------------------------------------------------------


def _xml_error(code: str, message: str) -> bytes:
    return (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    ).encode()


@dataclass(frozen=True)
class FailCall:
    """Fail every call of one API action after its first ``after`` calls went through, so a
    run fails half-way: its earlier writes are in place, the later ones never land."""

    action: str  # the API action, as sent: "AttachPolicy", "UpdatePolicy", ...
    kind: str  # "server_error", "drop" or "access_denied"
    after: int = 0


@dataclass
class Faults:
    """What the proxy injects. Rates are fractions of calls; the draw is seeded."""

    throttle: float = 0.0  # 400 Throttling (query/XML) or TooManyRequestsException (JSON)
    server_error: float = 0.0  # 500 InternalFailure
    drop: float = 0.0  # the connection is closed without an answer
    deny_assume_role: frozenset[str] = frozenset()  # account ids whose AssumeRole is refused
    latency: float = 0.0  # seconds added to every call
    seed: int = 0
    organizations: bool = True  # False: Organizations (discovery) calls are never faulted
    fail: tuple[FailCall, ...] = ()  # deterministic failures of named actions
    # A lost answer: the call reaches moto and takes effect, then the connection is closed
    # before the answer, so the client retries a write that already happened. Each request
    # loses its answer at most once (its retry gets through).
    lose: float = 0.0
    lose_actions: frozenset[str] = frozenset()


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of moto that injects AWS-shaped faults.

    Faults are answered by the proxy itself, before the call reaches moto, as AWS
    throttling and 5xx answers are: the call had no effect, so a retry is safe.
    """

    def __init__(self, upstream_port: int, faults: Faults | None = None) -> None:
        self.upstream_port = upstream_port
        self.faults = faults or Faults()
        self.calls: Counter[str] = Counter()  # action -> calls that reached moto
        self.injected: Counter[str] = Counter()  # fault kind -> times
        # Requests whose answer was lost once: their retry (same caller, same body) gets through,
        # so a test of lost answers never depends on the client running out of retries.
        self._lost: set[tuple[str, bytes]] = set()
        self.session_names: set[str] = set()  # RoleSessionName of every AssumeRole seen
        self.assumed_roles: set[str] = set()  # RoleArn of every AssumeRole seen
        self.seen: Counter[str] = Counter()  # action -> calls received, faulted or not
        self._lock = threading.Lock()
        self._random = random.Random(self.faults.seed)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                proxy.handle(self)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)

    @staticmethod
    def action_of(headers: Any, body: bytes) -> tuple[str, dict[str, list[str]], bool]:
        target = headers.get("X-Amz-Target")
        if target:  # JSON protocol (Organizations)
            return target.rsplit(".", 1)[-1], {}, True
        form = parse_qs(body.decode("utf-8", "replace"))
        return (form.get("Action") or ["?"])[0], form, False

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, body: bytes, json_protocol: bool
    ) -> None:
        handler.send_response(status)
        kind = "application/x-amz-json-1.1" if json_protocol else "text/xml"
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
        handler.end_headers()
        handler.wfile.write(body)

    def _fault(self, handler: BaseHTTPRequestHandler, kind: str, json_protocol: bool) -> None:
        with self._lock:
            self.injected[kind] += 1
        if kind == "drop":
            handler.close_connection = True
            with suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == "access_denied":
            message = "User is not authorized to perform this action"
            if json_protocol:
                body = json.dumps({"__type": "AccessDeniedException", "Message": message})
                self._send(handler, 400, body.encode(), True)
            else:
                self._send(handler, 403, _xml_error("AccessDenied", message), False)
            return
        if kind == "throttle":
            if json_protocol:
                body = json.dumps(
                    {"__type": "TooManyRequestsException", "Message": "Rate exceeded"}
                )
                self._send(handler, 400, body.encode(), True)
            else:
                self._send(handler, 400, _xml_error("Throttling", "Rate exceeded"), False)
            return
        if json_protocol:
            body = json.dumps({"__type": "ServiceException", "Message": "Internal failure"})
            self._send(handler, 500, body.encode(), True)
        else:
            self._send(handler, 500, _xml_error("InternalFailure", "Internal failure"), False)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        import time

        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        action, form, json_protocol = self.action_of(handler.headers, body)
        faults = self.faults
        with self._lock:
            self.seen[action] += 1
            earlier = self.seen[action] - 1
            if action == "AssumeRole":
                self.session_names.update(form.get("RoleSessionName", ()))
                self.assumed_roles.update(form.get("RoleArn", ()))
        if faults.latency:
            time.sleep(faults.latency)
        if action == "AssumeRole" and faults.deny_assume_role:
            role = (form.get("RoleArn") or [""])[0]
            if any(f"::{account}:" in role for account in faults.deny_assume_role):
                with self._lock:
                    self.injected["access_denied"] += 1
                message = f"User is not authorized to perform: sts:AssumeRole on resource: {role}"
                self._send(handler, 403, _xml_error("AccessDenied", message), False)
                return
        for fail in faults.fail:
            if fail.action == action and earlier >= fail.after:
                self._fault(handler, fail.kind, json_protocol)
                return
        draw = 1.0  # no fault
        if faults.organizations or not json_protocol:
            with self._lock:
                draw = self._random.random()
        edge = 0.0
        for kind, rate in (
            ("throttle", faults.throttle),
            ("server_error", faults.server_error),
            ("drop", faults.drop),
        ):
            edge += rate
            if draw < edge:
                self._fault(handler, kind, json_protocol)
                return
        with self._lock:
            self.calls[action] += 1
            caller = handler.headers.get("Authorization", "").partition("Credential=")[2]
            request = (caller.partition("/")[0], body)
            lost = (
                action in faults.lose_actions
                and request not in self._lost
                and self._random.random() < faults.lose
            )
            if lost:
                self._lost.add(request)
        if lost:
            self._forward(handler, body, answer=False)
            with self._lock:
                self.injected["lost_answer"] += 1
            return
        self._forward(handler, body)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes, answer: bool = True) -> None:
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        headers = {
            k: v
            for k, v in handler.headers.items()
            if k.lower() not in ("connection", "keep-alive")
        }
        try:
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
        finally:
            upstream.close()
        if not answer:
            handler.close_connection = True
            with suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        handler.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in (
                "content-length",
                "connection",
                "transfer-encoding",
                "server",
                "date",
            ):
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)


@contextmanager
def fault_proxy(upstream_port: int, faults: Faults | None = None) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream_port, faults).start()
    try:
        yield proxy
    finally:
        proxy.stop()


# --- git, for the commit each account is deployed from --------------------------------------

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "iamgate tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "iamgate tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def git(root: Path, *args: str) -> str:
    import subprocess

    done = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def commit_all(root: Path, message: str) -> str:
    """Commit everything in ``root`` (a repository made on first use); the new full sha."""
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")
