"""One settings object for every process, read from the environment (prefix ``CANDOR_``)."""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration; ``DATABASE_URL`` is read without the prefix, as everywhere else."""

    model_config = SettingsConfigDict(env_prefix="CANDOR_", extra="ignore", populate_by_name=True)

    env: str = "development"
    root: Path = ROOT
    var_dir: Path = ROOT / "var"
    # Trained models and cached embeddings are keyed by content, so every instance on this
    # machine (make run, the tests) can share them safely.
    models_dir: Path = ROOT / "var" / "models"
    cache_dir: Path = ROOT / "var" / "cache"
    database_url: str = Field(default="", validation_alias="DATABASE_URL")

    host: str = "127.0.0.1"
    web_port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    # Generated per run by the supervisor and handed to children; a fixed default is refused
    # outside development.
    rasa_token: str = ""
    secret_key: str = ""

    # Origins of the business's sites that embed the chat widget (JSON list); same-origin needs none.
    widget_origins: list[str] = []

    # Production mode (CANDOR_ENV=production or `candor up --production`): PostgreSQL, Redis,
    # several Rasa replicas (ports rasa_port, rasa_port+1, …) and web workers.
    rasa_replicas: int = Field(default=1, ge=1, le=16)
    web_workers: int = Field(default=1, ge=1, le=32)

    # Inference threads per process (TensorFlow in each Rasa replica, MiniLM in the action server).
    # The stack's processes already share the cores; a second thread each mostly spins: MiniLM
    # costs 1.65x the CPU per query on 2 threads (`candor bench search`), which busy turns pay.
    compute_threads: int = Field(default=1, ge=1, le=64)

    rasa_venv: Path = ROOT / ".venv-rasa"
    rasa_timeout_s: float = 10.0

    # Knowledge search. The shipped calibration (confidence model and answer threshold) is
    # fitted on ../shared/data only; `candor calibrate` writes one fitted on your own questions.
    embedding_model: str = "all-MiniLM-L6-v2"
    calibration_file: Path = ROOT / "knowledge" / "calibration.yml"
    sample_kb: Path = ROOT / "knowledge" / "sample_kb.jsonl"
    # Answer-or-escalate rules, teams, business hours and SLAs (see the comments in the file).
    policy_file: Path = ROOT / "routing" / "policy.yml"

    # Privacy: what is masked in customer messages before they are stored or reach Rasa
    # (CANDOR_REDACT='[]' turns it off), and after how many days of silence a conversation is
    # deleted everywhere (none: kept until erased).
    redact: list[Literal["email", "card", "phone"]] = ["email", "card", "phone"]
    retention_days: int | None = Field(default=None, ge=1)

    # Rate limits ("N/second|minute|hour", the `limits` library's notation): customer API calls
    # per client IP, messages per conversation, and staff sign-in attempts per IP. Counted in
    # memory, or in Redis (shared by every worker) when CANDOR_REDIS_URL is set.
    rate_limit_ip: str = "120/minute"
    rate_limit_conversation: str = "30/minute"
    rate_limit_login: str = "10/minute"
    redis_url: str = ""
    # Live views (customer stream, agent console) wake on each change (through Redis between
    # workers); this is how often they look again anyway, in case a wake-up was lost.
    live_fallback_s: float = Field(default=5.0, gt=0, le=300)

    # Outbound e-mail (follow-up acknowledgements and replies, transcripts), queued in the database
    # and sent by the web app. No host: mails stay queued and /healthz says they are held.
    # TLS: "tls" from the first byte (port 465), "starttls" upgrades (port 587), "none" only to a
    # relay on this machine or a trusted network; credentials are refused without TLS.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = ""
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    # Identity verification: the business's server signs its customer ids with this (HMAC-SHA256, hex);
    # while set, a customer id without a good signature is refused. Empty: ids are taken unverified.
    identity_secret: SecretStr = SecretStr("")

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'candor.db'}"
        if self.production:
            # Unless set: two replicas, and a web worker per two cores. On two cores a second worker
            # made the load bench's p95 1.54x the raw webhook's instead of 1.15x (README, Load).
            if "rasa_replicas" not in self.model_fields_set:
                self.rasa_replicas = 2
            if "web_workers" not in self.model_fields_set:
                self.web_workers = max(1, (os.cpu_count() or 2) // 2)
            problems = production_problems(self)
            if problems:
                raise ValueError("Production mode needs: " + " ".join(problems))
        if problems := smtp_problems(self):
            raise ValueError("Outbound e-mail needs: " + " ".join(problems))
        if not self.secret_key:
            self.secret_key = secrets.token_urlsafe(32)
        return self

    def as_environment(self) -> dict[str, str]:
        """Every field as the variable that sets it, so child processes get the same settings by
        construction (lists as JSON, as pydantic-settings reads them; unset optionals left out)."""
        env = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            variable = info.validation_alias if isinstance(info.validation_alias, str) else f"CANDOR_{name.upper()}"
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            env[variable] = json.dumps(value) if isinstance(value, list) else str(value)
        return env

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://{self.host}:{self.rasa_port + i}" for i in range(self.rasa_replicas)]

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def rasa_tracker_db(self) -> Path:
        """Rasa's SQL tracker store (bot/endpoints.yml): `candor up` points Rasa at it, erasure deletes from it."""
        return self.var_dir / "rasa-tracker.db"

    @property
    def rasa_tracker_url(self) -> str:
        """Rasa's tracker store as an SQLAlchemy URL: beside the app's PostgreSQL database (its own
        database, `<name>_rasa`: Rasa's `events` table would collide with ours), else a SQLite file."""
        if self.database_url.startswith("postgresql"):
            url = make_url(self.database_url)
            return url.set(database=f"{url.database}_rasa").render_as_string(hide_password=False)
        return f"sqlite:///{self.rasa_tracker_db}"

    @property
    def event_spool(self) -> Path:
        """Conversation events waiting for the database (touchpoints.spool); the web app replays them."""
        return self.var_dir / "event-spool.jsonl"


DEFAULT_SECRETS = {"", "change-me", "changeme", "secret", "candor"}


def production_problems(settings: Settings) -> list[str]:
    """What production mode refuses, each as an instruction; reachability is checked by `candor up`."""
    problems = []
    if any(secret in DEFAULT_SECRETS or len(secret) < 16 for secret in (settings.rasa_token, settings.secret_key)):
        problems.append(
            "CANDOR_RASA_TOKEN and CANDOR_SECRET_KEY set to secrets of your own, 16+ characters (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )
    if not settings.database_url.startswith("postgresql"):
        problems.append("DATABASE_URL pointing at PostgreSQL (postgresql+psycopg://user:password@host/db).")
    if not settings.redis_url.startswith(("redis://", "rediss://")):
        problems.append("CANDOR_REDIS_URL pointing at Redis (redis://host:6379/0).")
    return problems


def smtp_problems(settings: Settings) -> list[str]:
    """What the SMTP settings cannot work with, each as an instruction (nothing when mail is off)."""
    if not settings.smtp_host:
        return []
    problems = []
    if "@" not in settings.smtp_from:
        problems.append("CANDOR_SMTP_FROM set to the address mails come from (support@example.com).")
    password = settings.smtp_password.get_secret_value()
    if bool(settings.smtp_username) != bool(password):
        problems.append("CANDOR_SMTP_USERNAME and CANDOR_SMTP_PASSWORD set together (or neither).")
    if password and settings.smtp_tls == "none":
        problems.append("CANDOR_SMTP_TLS=starttls or tls: a password is never sent over an unencrypted connection.")
    return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
