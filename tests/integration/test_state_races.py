"""The state machine under real concurrency: events, creates and the timeout sweeper racing on DynamoDB Local.

Threads stand for Lambda execution environments: each builds its own use case objects on the real DynamoDB
store (as messaging/wiring.py does at init), with the timeouts it is given. Races start at a Barrier; no
sleep synchronises anything. Storage is checked with tests/integration/invariants.py BEFORE anything tidies
up. Where an interleaving must be exact (a write landing between two attempts of one use case), a store
wrapper runs the other environment's write right there, in order, instead of hoping that threads hit it. The
scenarios at the end of the file each found a bug (a 409 naming a closed holder, a takeover's holder never
purged, a revived conversation left on its representative's list), fixed since.
"""

from __future__ import annotations

import os
import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Barrier

import pytest

from messaging.config import settings
from messaging.domain.activity import Activity, Kind, Role, Sender
from messaging.domain.conversation import (
    Conversation,
    ConversationRequest,
    ConversationState,
    CreateOutcome,
    CustomerDetails,
    Representative,
    Timeouts,
)
from messaging.domain.errors import ConversationNotFound, CustomerHasActiveConversation, InvalidTransition
from messaging.domain.ids import ConversationIds, is_conversation_id, lock_fingerprint
from messaging.domain.state_machine import TRANSITIONS, CloseReason, EndedBy, Event, Status
from messaging.domain.tenant import Tenant
from messaging.domain.time import now_ms
from messaging.store import keys
from messaging.store.client import dynamodb_client
from messaging.store.conversations import DynamoDBConversations
from messaging.store.lists import DynamoDBDueConversations
from messaging.store.protocol import (
    Change,
    ChangeRefused,
    ConversationStore,
    CreateSnapshot,
    NewConversation,
    WriteRejected,
)
from messaging.usecases.activities import SendActivity
from messaging.usecases.create import CreateConversation
from messaging.usecases.events import ApplyEvent, EventOutcome
from messaging.usecases.timeouts import SweepReport, SweepTimeouts
from messaging.wiring import conversations
from tests.integration.invariants import broken_invariants, read_storage

TENANT = Tenant("tenant-a")
OTHER_TENANT = Tenant("tenant-b")
MINUTE = 60_000
LONG = Timeouts(open_ms=10 * MINUTE, active_ms=10 * MINUTE, waiting_ms=10 * MINUTE, wrapup_ms=10 * MINUTE)
FAR_FUTURE = 365 * 24 * 60 * MINUTE


@dataclass(frozen=True)
class Environment:
    """One Lambda execution environment's use cases, on the real store (messaging/wiring.py's objects, with
    the timeouts and clock a test needs)."""

    store: DynamoDBConversations
    create: CreateConversation
    apply: ApplyEvent
    sweep: SweepTimeouts


def environment(timeouts: Timeouts = LONG, clock: Callable[[], int] = now_ms) -> Environment:
    config = settings()
    store = conversations()
    apply = ApplyEvent(store, timeouts, clock=clock)
    due = DynamoDBDueConversations(dynamodb_client(), config.conversations_table)
    return Environment(
        store,
        CreateConversation(store, ConversationIds(config.id_secret), timeouts, clock=clock),
        apply,
        SweepTimeouts(due, apply, clock=clock),
    )


def customer(customerid: str | None) -> ConversationRequest:
    return ConversationRequest(customer=CustomerDetails(customerid=customerid))


def representative(name: str) -> Representative:
    return Representative(id=name, name=name.title())


def stored(env: Environment, tenant: Tenant, conversation_id: str) -> Conversation:
    found = env.store.get(tenant, conversation_id)
    assert found is not None, conversation_id
    return found


def consistent_storage(endpoint: str, tables: dict[str, str]) -> None:
    broken = broken_invariants(read_storage(endpoint, tables))
    assert broken == [], "\n".join(broken)


class Fixed:
    """A clock that reads what it is set to."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


# ---------------------------------------------------------------------------------------------- 1. accept


@pytest.mark.parametrize("customerid", ["customer-accept", None], ids=["with-lock", "without-customerid"])
@pytest.mark.usefixtures("many_environments")
def test_32_representatives_accepting_one_open_conversation_exactly_one_wins(
    dynamodb_endpoint: str, local_env: dict[str, str], customerid: str | None
) -> None:
    # Given one open conversation (with a customerid: accept is a transaction with the lock; without: one
    # conditional UpdateItem), and 32 environments of 32 different representatives
    created = environment().create(TENANT, customer(customerid))
    environments = [environment() for _ in range(32)]
    start = Barrier(32)

    def accept(index: int) -> EventOutcome | InvalidTransition:
        env = environments[index]
        start.wait()
        try:
            return env.apply(
                TENANT, created.conversation_id, Event.ACCEPT, actor=representative(f"rep-{index}")
            )
        except InvalidTransition as refused:
            return refused

    # When all accept at the same moment
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(accept, range(32)))
    # Then exactly one wins (a change, not a retry); the 31 others are refused: the conversation is active
    winners = [(i, a) for i, a in enumerate(answers) if isinstance(a, EventOutcome)]
    losers = [a for a in answers if isinstance(a, InvalidTransition)]
    assert len(winners) == 1, winners
    index, won = winners[0]
    assert (won.changed, won.status) == (True, Status.ACTIVE)
    assert won.representative is not None and won.representative.id == f"rep-{index}"
    assert len(losers) == 31
    assert {(refused.status, refused.event) for refused in losers} == {("active", "accept")}
    # And storage holds the winner as the representative, with consistent invariants
    state = stored(environments[0], TENANT, created.conversation_id).state
    assert state.status is Status.ACTIVE
    assert state.representative == representative(f"rep-{index}")
    consistent_storage(dynamodb_endpoint, local_env)
    # And the winner repeating its accept is a retry (200, nothing changed), not a loser
    again = environments[index].apply(
        TENANT, created.conversation_id, Event.ACCEPT, actor=representative(f"rep-{index}")
    )
    assert (again.changed, again.status) == (False, Status.ACTIVE)


# ------------------------------------------------------------------------------------ 2. random interleavings

WORKERS = 16
OPERATIONS = 24
SWEEPERS = 2
CUSTOMERS = ("c0", "c1", "c2")
TENANTS = (TENANT, OTHER_TENANT)  # the same customerids in both: their locks must never meet
REPRESENTATIVES = ("rep-a", "rep-b", "rep-c", "rep-d")
EVENTS = (
    (Event.ACCEPT, 14),
    (Event.RELEASE, 5),
    (Event.WAIT, 14),
    (Event.RESUME, 18),
    (Event.END, 7),
    (Event.CLOSE, 5),
    (Event.END_OF_CONVERSATION, 6),
)
CREATE_WEIGHT = 22
PROBE_WEIGHT = 4  # an id that does not exist, or another tenant's: the only ConversationNotFound allowed
ANONYMOUS = "(none)"  # the registry's name for conversations without a customerid
# What each event may leave a conversation in when it changed it (the state machine's table).
TARGETS = {event: {t.target for t in TRANSITIONS.values() if t.event is event} for event, _ in EVENTS}


class Registry:
    """Every conversation id the run's creates answered, per tenant and customer: what events pick from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[tuple[Tenant, str], list[str]] = {}
        self._all: set[tuple[Tenant, str]] = set()

    def add(self, tenant: Tenant, customerid: str, conversation_id: str) -> None:
        with self._lock:
            if (tenant, conversation_id) not in self._all:
                self._all.add((tenant, conversation_id))
                self._ids.setdefault((tenant, customerid), []).append(conversation_id)

    def has(self, tenant: Tenant, customerid: str) -> bool:
        with self._lock:
            return bool(self._ids.get((tenant, customerid)))

    def recent(self, rng: random.Random, tenant: Tenant, customerid: str) -> str | None:
        """Mostly the customer's newest conversation, else one of the two before it (older ones have mostly
        timed out). Draws the same randomness whatever the registry holds: a thread's seed decides its
        choices, while which conversation a choice meets depends on what the other threads created."""
        newest, back = rng.random() < 0.7, rng.randrange(3)
        with self._lock:
            ids = self._ids.get((tenant, customerid), [])
            if not ids:
                return None
            return ids[-1] if newest else ids[-1 - min(back, len(ids) - 1)]

    def knows(self, tenant: Tenant, conversation_id: str) -> bool:
        with self._lock:
            return (tenant, conversation_id) in self._all

    def __len__(self) -> int:
        with self._lock:
            return len(self._all)


@dataclass
class Tally:
    """What one thread saw: outcomes per (operation, result), and anything that must not happen."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    sweeps: list[SweepReport] = field(default_factory=list)
    # The holders that CustomerHasActiveConversation named (checked once every create has answered).
    named: list[tuple[Tenant, str]] = field(default_factory=list)


def random_timeouts(rng: random.Random) -> Timeouts:
    """Short and varied (milliseconds), so that deadlines pass during the run; not much shorter than a few
    operations on this DynamoDB Local (tens of ms each, more under load), or every event would meet a
    conversation that has already timed out."""
    return Timeouts(
        open_ms=rng.randint(300, 3000),
        active_ms=rng.randint(300, 3000),
        waiting_ms=rng.randint(300, 3000),
        wrapup_ms=rng.randint(100, 1500),
    )


def work(seed: int, registry: Registry, ids: ConversationIds) -> Tally:
    """One environment's run: OPERATIONS random creates and events over the tenants' customers."""
    rng = random.Random(seed)
    env = environment(random_timeouts(rng))
    tally = Tally()
    events, weights = zip(*EVENTS, strict=True)
    for _ in range(OPERATIONS):
        tenant = rng.choice(TENANTS)
        customerid = rng.choice((*CUSTOMERS, ANONYMOUS)) if rng.random() < 0.1 else rng.choice(CUSTOMERS)
        roll = rng.randrange(CREATE_WEIGHT + PROBE_WEIGHT + sum(weights))
        if not registry.has(tenant, customerid):
            roll = 0  # the customer has no conversation yet: start one
        try:
            if roll < CREATE_WEIGHT:
                operation = "create"
                result = create(env, registry, tenant, customerid)
            elif roll < CREATE_WEIGHT + PROBE_WEIGHT:
                operation = "probe"
                result = probe(env, rng, registry, ids, tenant, customerid)
            else:
                event = rng.choices(events, weights)[0]
                operation = event.value
                result = apply(env, rng, registry, tenant, customerid, event, tally.named)
        except Exception:
            tally.failures.append(f"thread seed {seed}: {traceback.format_exc()}")
            result = "FAIL raised"
        if result.startswith("FAIL ") and result != "FAIL raised":
            tally.failures.append(f"thread seed {seed}: {operation}: {result}")
        tally.outcomes[(operation, result)] += 1
    return tally


def create(env: Environment, registry: Registry, tenant: Tenant, customerid: str) -> str:
    outcome: CreateOutcome = env.create(tenant, customer(None if customerid == ANONYMOUS else customerid))
    registry.add(tenant, customerid, outcome.conversation_id)
    if customerid != ANONYMOUS:
        # The answer is always the customer's conversation (its id carries the customer's fingerprint).
        expected = ConversationIds(settings().id_secret).fingerprint(tenant, customerid)
        if lock_fingerprint(outcome.conversation_id) != expected:
            return f"FAIL another customer's conversation {outcome.conversation_id}"
    return "new" if outcome.is_new else "existing"


def apply(
    env: Environment,
    rng: random.Random,
    registry: Registry,
    tenant: Tenant,
    customerid: str,
    event: Event,
    named: list[tuple[Tenant, str]],
) -> str:
    conversation_id = registry.recent(rng, tenant, customerid)
    assert conversation_id is not None
    actor = None if event is Event.END_OF_CONVERSATION else representative(rng.choice(REPRESENTATIVES))
    try:
        outcome = env.apply(tenant, conversation_id, event, actor=actor)
    except InvalidTransition as refused:
        return f"InvalidTransition from {refused.status}"
    except CustomerHasActiveConversation as busy:
        # It names the customer's other conversation ("unknown" would mean a lock without its holder).
        holder = busy.holder
        if not is_conversation_id(holder) or holder == conversation_id:
            return f"FAIL {conversation_id}'s customer is held by {holder}"
        if lock_fingerprint(holder) != lock_fingerprint(conversation_id):
            return f"FAIL {conversation_id}'s customer is held by another customer's {holder}"
        named.append((tenant, holder))  # checked after the run: its create may not have answered yet
        return "CustomerHasActiveConversation"
    except ConversationNotFound:
        return f"FAIL ConversationNotFound for {conversation_id}, which exists"
    if outcome.changed and outcome.status not in TARGETS[event]:
        return f"FAIL changed to {outcome.status}"
    return "changed" if outcome.changed else "retry"


def probe(
    env: Environment,
    rng: random.Random,
    registry: Registry,
    ids: ConversationIds,
    tenant: Tenant,
    customerid: str,
) -> str:
    """An event on an id that does not exist, or on another tenant's conversation: both are not found."""
    other = next(t for t in TENANTS if t != tenant)
    existing = registry.recent(rng, other, customerid)
    if existing is not None and rng.random() < 0.5:
        target = existing  # another tenant's conversation: indistinguishable from a missing one
    else:
        target = ids.new(tenant, None if customerid == ANONYMOUS else customerid)
    event = rng.choice([event for event, _ in EVENTS])
    try:
        env.apply(tenant, target, event, actor=representative("rep-probe"))
    except ConversationNotFound:
        return "ConversationNotFound"
    return f"FAIL {event} on {target}, which {tenant} does not have, answered"


def sweep_until(stop: threading.Event, index: int) -> Tally:
    """The scheduled sweeper, run over and over until the workers are done (at least once after that)."""
    env = environment()  # the sweeper's own timeouts do not matter: a timeout's target has no deadline
    tally = Tally()
    while True:
        done = stop.is_set()
        try:
            tally.sweeps.append(env.sweep())
        except Exception:
            tally.failures.append(f"sweeper {index}: {traceback.format_exc()}")
        if done:
            return tally
        stop.wait(0.05)  # pacing (the real one runs every minute); `stop` ends the loop, nothing else


def run_seed() -> int:
    configured = os.environ.get("STATE_RACES_SEED")
    return int(configured) if configured else random.SystemRandom().randrange(1 << 32)


@pytest.mark.slow  # a stress test with a random seed: `make mutation` leaves it out (see local/mutation.py)
def test_random_parallel_interleavings_keep_storage_consistent(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    seed = run_seed()
    print(f"\nstate races: seed {seed} (STATE_RACES_SEED={seed} reproduces every thread's operations)")
    registry = Registry()
    ids = ConversationIds(settings().id_secret)
    stop = threading.Event()
    started = time.monotonic()
    # Given WORKERS environments and SWEEPERS sweepers, When each environment runs OPERATIONS random
    # operations over the customers of two tenants while the sweepers time conversations out
    with ThreadPoolExecutor(WORKERS + SWEEPERS) as pool:
        sweepers = [pool.submit(sweep_until, stop, index) for index in range(SWEEPERS)]
        workers = [pool.submit(work, seed * 1000 + index, registry, ids) for index in range(WORKERS)]
        tallies = [worker.result() for worker in workers]
        stop.set()
        tallies += [sweeper.result() for sweeper in sweepers]
    elapsed = time.monotonic() - started
    # Then nothing unexpected was raised or answered
    failures = [failure for tally in tallies for failure in tally.failures]
    assert failures == [], f"seed {seed}:\n" + "\n".join(failures[:5])
    # And storage is consistent as the run left it: nothing has tidied up yet
    storage = read_storage(dynamodb_endpoint, local_env)
    broken = broken_invariants(storage)
    assert broken == [], f"seed {seed}:\n" + "\n".join(broken)
    outcomes = sum((tally.outcomes for tally in tallies), Counter[tuple[str, str]]())
    reports = [report for tally in tallies for report in tally.sweeps]
    print(f"{sum(outcomes.values())} operations in {elapsed:.1f} s, {len(registry)} conversations")
    for (operation, result), count in sorted(outcomes.items()):
        print(f"  {operation:18} {result:40} {count}")
    print(
        f"  sweeps {len(reports)}: timed out {sum(r.timed_out for r in reports)}, "
        f"refiled {sum(r.refiled for r in reports)}, unchanged {sum(r.unchanged for r in reports)}"
    )
    print(
        f"  stored: {Counter(s['status']['S'] for s in storage.states.values())}, locks {len(storage.locks)}"
    )
    assert sum(outcomes.values()) == WORKERS * OPERATIONS  # every operation was accounted for
    # And every holder a resume was refused for is a conversation of that tenant that a create answered
    for tenant, holder in (named for tally in tallies for named in tally.named):
        assert registry.knows(tenant, holder), holder
        assert storage.states[holder]["tenant"]["S"] == tenant.id
    # And every live conversation is on the sweeper's index: a sweep far in the future closes them all
    # (after the check above: this would otherwise have tidied away what the run left)
    final = environment(clock=lambda: now_ms() + FAR_FUTURE).sweep()
    print(f"  final sweep: {final}")
    after = read_storage(dynamodb_endpoint, local_env)
    assert {s["status"]["S"] for s in after.states.values()} <= {"closed"}
    assert after.locks == []
    assert broken_invariants(after) == []


# ------------------------------------------------------------------------------- 3. create against resume


def test_a_create_racing_a_resume_of_the_customers_waiting_conversation_leaves_one_holder(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    setup = environment()
    creator, resumer = environment(), environment()
    tally: Counter[str] = Counter()
    for round_ in range(20):
        # Given a customer whose only conversation is waiting (it does not hold the customerid)
        customerid = f"customer-{round_}"
        waiting = setup.create(TENANT, customer(customerid)).conversation_id
        setup.apply(TENANT, waiting, Event.ACCEPT, actor=representative("rep-a"))
        setup.apply(TENANT, waiting, Event.WAIT, actor=representative("rep-a"))
        start = Barrier(2)

        def create(customerid: str = customerid, start: Barrier = start) -> CreateOutcome:
            start.wait()
            return creator.create(TENANT, customer(customerid))

        def resume(
            waiting: str = waiting, start: Barrier = start
        ) -> EventOutcome | CustomerHasActiveConversation:
            start.wait()
            try:
                return resumer.apply(TENANT, waiting, Event.RESUME, actor=representative("rep-a"))
            except CustomerHasActiveConversation as busy:
                return busy

        # When a create for the customer and the representative's resume run at the same moment
        with ThreadPoolExecutor(2) as pool:
            created_future, resumed_future = pool.submit(create), pool.submit(resume)
            created, resumed = created_future.result(), resumed_future.result()
        # Then exactly one of them holds the customerid
        if isinstance(resumed, EventOutcome):
            tally["resume won"] += 1
            assert (resumed.changed, resumed.status) == (True, Status.ACTIVE)
            assert (created.conversation_id, created.is_new) == (waiting, False)
            holder = waiting
        else:
            tally["create won"] += 1
            assert created.is_new and created.conversation_id != waiting
            assert resumed.holder == created.conversation_id
            assert stored(setup, TENANT, waiting).state.status is Status.WAITING
            holder = created.conversation_id
        assert stored(setup, TENANT, holder).state.status in {Status.OPEN, Status.ACTIVE}
    # And storage is consistent (nothing but these races wrote to it since the rounds' setups)
    consistent_storage(dynamodb_endpoint, local_env)
    print(f"\ncreate against resume: {dict(tally)}")


# ----------------------------------------------------------------------------- 4. timeout against end


@pytest.mark.parametrize("source", [Status.ACTIVE, Status.WAITING])
def test_end_racing_the_sweeper_at_the_deadline_is_either_wrapup_or_closed(
    dynamodb_endpoint: str, local_env: dict[str, str], source: Status
) -> None:
    """The representative's `end` is sent 1 ms before the deadline (its environment's clock), the sweeper
    runs at the deadline (its clock): each is valid alone, and DynamoDB decides which one lands."""
    setup = environment()
    tally: Counter[str] = Counter()
    for round_ in range(12):
        # Given an active (or waiting) conversation whose deadline is D
        conversation_id = setup.create(TENANT, customer(f"customer-{round_}")).conversation_id
        outcome = setup.apply(TENANT, conversation_id, Event.ACCEPT, actor=representative("rep-a"))
        if source is Status.WAITING:
            outcome = setup.apply(TENANT, conversation_id, Event.WAIT, actor=representative("rep-a"))
        deadline = outcome.expires_at_ms
        assert deadline is not None and outcome.status is source
        ender, sweeper = environment(clock=Fixed(deadline - 1)), environment(clock=Fixed(deadline))
        start = Barrier(2)

        def end(
            conversation_id: str = conversation_id, ender: Environment = ender, start: Barrier = start
        ) -> EventOutcome | InvalidTransition:
            start.wait()
            try:
                return ender.apply(TENANT, conversation_id, Event.END, actor=representative("rep-a"))
            except InvalidTransition as refused:
                return refused

        def sweep(sweeper: Environment = sweeper, start: Barrier = start) -> SweepReport:
            start.wait()
            return sweeper.sweep()

        # When the representative ends it and the sweeper runs, at the same moment
        with ThreadPoolExecutor(2) as pool:
            ended_future, swept_future = pool.submit(end), pool.submit(sweep)
            ended, swept = ended_future.result(), swept_future.result()
        # Then it is wrapup (end landed first) or closed by the timeout (the sweep did), never a mix
        state = stored(setup, TENANT, conversation_id).state
        if isinstance(ended, EventOutcome):
            tally["end won"] += 1
            assert (ended.changed, ended.status) == (True, Status.WRAPUP)
            assert swept.timed_out == 0
            assert (state.status, state.ended_by, state.closed_at_ms) == (
                Status.WRAPUP,
                EndedBy.REPRESENTATIVE,
                None,
            )
        else:
            tally["timeout won"] += 1
            assert (ended.status, ended.event) == ("closed", "end")
            assert swept.timed_out == 1
            assert (state.status, state.close_reason, state.closed_at_ms) == (
                Status.CLOSED,
                CloseReason.TIMEOUT,
                deadline,
            )
            assert (state.ended_by, state.ended_at_ms) == (None, None)
    consistent_storage(dynamodb_endpoint, local_env)
    print(f"\nend against the sweeper from {source}: {dict(tally)}")


# ------------------------------------------------------------------- exact interleavings: bugs found


class Meanwhile:
    """The real store, running `meanwhile` (another environment's write) once, right after this
    environment's first refused write: the exact interleaving "between two attempts of one use case"."""

    def __init__(self, store: ConversationStore, meanwhile: Callable[[], object]) -> None:
        self._store = store
        self._meanwhile = meanwhile
        self._done = False

    def read_for_create(
        self, tenant: Tenant, fingerprint: str | None, email: str | None, phone: str | None
    ) -> CreateSnapshot:
        return self._store.read_for_create(tenant, fingerprint, email, phone)

    def insert_conversation(self, new: NewConversation, now_ms: int) -> None:
        with self._then_meanwhile(WriteRejected):
            self._store.insert_conversation(new, now_ms)

    def get(self, tenant: Tenant, conversation_id: str) -> Conversation | None:
        return self._store.get(tenant, conversation_id)

    def apply(self, change: Change) -> ConversationState | None:
        with self._then_meanwhile(ChangeRefused):
            return self._store.apply(change)

    @contextmanager
    def _then_meanwhile(self, refusal: type[Exception]) -> Iterator[None]:
        try:
            yield
        except refusal:
            if not self._done:
                self._done = True
                self._meanwhile()
            raise


@pytest.fixture
def waiting_behind_an_expired_holder(local_env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(waiting, expired holder): the customer's waiting conversation, and the open conversation that holds
    the customerid, past its deadline but not yet swept."""
    setup = environment()
    waiting = setup.create(TENANT, customer("customer-w")).conversation_id
    setup.apply(TENANT, waiting, Event.ACCEPT, actor=representative("rep-a"))
    setup.apply(TENANT, waiting, Event.WAIT, actor=representative("rep-a"))
    past = environment(Timeouts(MINUTE, MINUTE, MINUTE, MINUTE), clock=Fixed(now_ms() - 2 * MINUTE))
    holder = past.create(TENANT, customer("customer-w"))
    assert holder.is_new
    yield waiting, holder.conversation_id


def test_a_create_whose_lock_takeover_meets_the_sweepers_timeout_starts_a_new_conversation(
    dynamodb_endpoint: str, local_env: dict[str, str], waiting_behind_an_expired_holder: tuple[str, str]
) -> None:
    _, holder = waiting_behind_an_expired_holder
    sweeper = environment()
    # Given a create whose first attempt finds the lock of an expired holder (it will take it over), When
    # the sweeper times that holder out (freeing the lock) between the create's two attempts
    config = settings()
    create = CreateConversation(
        Meanwhile(conversations(), sweeper.sweep), ConversationIds(config.id_secret), LONG
    )
    created = create(TENANT, customer("customer-w"))
    # Then the create starts a new conversation holding the customerid: the old holder closed by the timeout
    assert created.is_new
    assert stored(sweeper, TENANT, holder).state.close_reason is CloseReason.TIMEOUT
    assert stored(sweeper, TENANT, created.conversation_id).state.status is Status.OPEN
    consistent_storage(dynamodb_endpoint, local_env)


def test_resume_whose_lock_takeover_meets_the_sweepers_timeout_takes_the_free_customerid(
    dynamodb_endpoint: str, local_env: dict[str, str], waiting_behind_an_expired_holder: tuple[str, str]
) -> None:
    waiting, holder = waiting_behind_an_expired_holder
    sweeper = environment()
    # Given a resume whose first attempt finds the lock of an expired holder (it will take it over), When
    # the sweeper times that holder out (freeing the lock) between the resume's two attempts
    resume = ApplyEvent(Meanwhile(conversations(), sweeper.sweep), LONG)
    try:
        outcome: EventOutcome | CustomerHasActiveConversation = resume(
            TENANT, waiting, Event.RESUME, actor=representative("rep-a")
        )
    except CustomerHasActiveConversation as busy:
        outcome = busy
    # Then (the sweeper did close the holder) the resume takes the customerid, which is free: 200 active
    assert stored(sweeper, TENANT, holder).state.close_reason is CloseReason.TIMEOUT
    consistent_storage(dynamodb_endpoint, local_env)
    assert not isinstance(outcome, CustomerHasActiveConversation), f"409 naming {outcome.holder}"
    assert (outcome.changed, outcome.status) == (True, Status.ACTIVE)


def test_resume_whose_lock_takeover_meets_a_create_names_the_new_holder(
    dynamodb_endpoint: str, local_env: dict[str, str], waiting_behind_an_expired_holder: tuple[str, str]
) -> None:
    waiting, holder = waiting_behind_an_expired_holder
    creator = environment()
    created: list[CreateOutcome] = []
    # Given a resume whose first attempt finds the lock of an expired holder, When a create for the
    # customer replaces that holder (closing it) between the resume's two attempts
    resume = ApplyEvent(
        Meanwhile(conversations(), lambda: created.append(creator.create(TENANT, customer("customer-w")))),
        LONG,
    )
    with pytest.raises(CustomerHasActiveConversation) as busy:
        resume(TENANT, waiting, Event.RESUME, actor=representative("rep-a"))
    # Then the 409 names the conversation that holds the customerid now: the new one
    assert created[0].is_new
    consistent_storage(dynamodb_endpoint, local_env)
    assert stored(creator, TENANT, holder).state.status is Status.CLOSED
    assert busy.value.holder == created[0].conversation_id


def test_resume_whose_takeover_finds_the_holder_kept_alive_by_a_message_names_that_holder(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    # Given a customer's waiting conversation, and the open conversation that holds the customerid: its lock's
    # deadline (a lower bound) passed 30 s ago, but a customer message 40 s ago moved its own deadline 20 s
    # into the future
    now = now_ms()
    setup = environment()
    waiting = setup.create(TENANT, customer("customer-k")).conversation_id
    setup.apply(TENANT, waiting, Event.ACCEPT, actor=representative("rep-a"))
    setup.apply(TENANT, waiting, Event.WAIT, actor=representative("rep-a"))
    one_minute = Timeouts(MINUTE, MINUTE, MINUTE, MINUTE)
    holder = environment(one_minute, clock=Fixed(now - 90_000)).create(TENANT, customer("customer-k"))
    assert holder.is_new
    at_message = Fixed(now - 40_000)
    send = SendActivity(conversations(), environment(one_minute, clock=at_message).apply, clock=at_message)
    send(TENANT, holder.conversation_id, Activity(Kind.MESSAGE, Sender(Role.CUSTOMER), text="still here"))
    # When a representative resumes the waiting conversation: its first attempt finds the lock past its
    # deadline, its second tries to take it over, closing the holder by timeout
    with pytest.raises(CustomerHasActiveConversation) as busy:
        setup.apply(TENANT, waiting, Event.RESUME, actor=representative("rep-a"))
    # Then the takeover's refusal brought the holder's state, alive: a 409 naming it, nothing changed
    assert busy.value.holder == holder.conversation_id
    assert stored(setup, TENANT, holder.conversation_id).state.status is Status.OPEN
    assert stored(setup, TENANT, waiting).state.status is Status.WAITING
    consistent_storage(dynamodb_endpoint, local_env)


def test_a_holder_closed_by_a_takeover_gets_its_purge_time(
    local_env: dict[str, str], waiting_behind_an_expired_holder: tuple[str, str]
) -> None:
    _, holder = waiting_behind_an_expired_holder
    env = environment()
    # Given an expired open conversation, When a create for its customer replaces it (closing it)
    assert env.create(TENANT, customer("customer-w")).is_new
    item = dynamodb_client().get_item(
        TableName=local_env["ConversationsTable"],
        Key={"pk": {"S": keys.conversation_key(TENANT, holder)}, "sk": {"S": keys.STATE}},
        ConsistentRead=True,
    )["Item"]
    # Then it is closed (timeout) and carries its purge time, like every other closed conversation
    assert (item["status"]["S"], item["closeReason"]["S"]) == ("closed", "timeout")
    assert settings().retention_seconds > 0
    assert "ttl" in item


def test_a_customer_message_reviving_a_waiting_conversation_queues_it_like_a_release(
    dynamodb_endpoint: str, local_env: dict[str, str]
) -> None:
    env = environment()
    conversation_id = env.create(TENANT, customer("customer-m")).conversation_id
    env.apply(TENANT, conversation_id, Event.ACCEPT, actor=representative("rep-a"))
    env.apply(TENANT, conversation_id, Event.WAIT, actor=representative("rep-a"))
    # When a customer message revives the waiting conversation
    revived = env.apply(TENANT, conversation_id, Event.CUSTOMER_MESSAGE)
    # Then it is open, back in the queue, in a state a create or a release would also leave
    assert (revived.changed, revived.status) == (True, Status.OPEN)
    consistent_storage(dynamodb_endpoint, local_env)
