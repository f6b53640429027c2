// The driver of one conversion job: it stores, schedules and relays; the engine's job machine
// (`ConversionJob`, crates/federate-core/src/job) decides everything else. The loop is the
// machine's contract: `next()` → store its records → only then perform its steps; every
// answer, lost answer, timer and user command goes back through `apply()` and its records
// are stored in the order the machine produced them. A failed write becomes the machine's
// StorageFailed event (a visible pause; nothing is sent after it). No rule about Azure
// DevOps lives here: not what to send, not what an answer means, not when to resume.
import type {
  AdoResponse as Response,
  ConversionJob,
  JobEvent,
  JobRecord,
  JobStep,
  JobView,
  LostAnswer,
} from '../../../pkg/web/federate_wasm.js';
import type { AdoRequest } from '../shared/engine.js';
import type { JobTarget } from '../shared/convert-types.js';

/** A request that got no answer, and why (the relay's finding, not a decision). */
export class LostError extends Error {
  constructor(
    readonly why: LostAnswer,
    message: string,
  ) {
    super(message);
  }
}

/** What a driver needs from its surroundings: storage, the relay and a clock. */
export interface DriverDeps {
  /** Appends a batch of records after the job's earlier ones; rejects when the write fails. */
  append(org: string, id: string, records: JobRecord[]): Promise<void>;
  /** Jobs stored and KB used (for the engine's StorageFailed event). */
  usage(): Promise<{ jobs: number; kilobytes: number }>;
  /** The job reached Done. */
  ended(org: string, id: string, at: number): Promise<void>;
  /**
   * Relays one request through the job's tab; throws LostError when no answer came back.
   * `signal` aborts when the job is paused, cancelled or stopped: a request not yet delivered
   * then is not delivered (the relay throws, and the machine settles the step with a read).
   */
  send(target: JobTarget, request: AdoRequest, signal: AbortSignal): Promise<Response>;
  /**
   * Publishes the machine's live view while its latest records are not stored (null: they
   * are again), so the panel never draws a stale state. Failures are the caller's to ignore.
   */
  live?(org: string, id: string, view: JobView | null): Promise<void>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Called after each change the machine made (the panel follows storage; a test counts). */
  changed?(runner: JobRunner): void;
}

/** Steps a single pump may take before it yields (a guard against a loop, never reached by a sane machine). */
const MAX_ROUNDS = 10_000;

/** One job, driven. Lives as long as the worker; a restarted worker restores a new one. */
export class JobRunner {
  readonly org: string;
  readonly id: string;
  /** Steps relayed whose answer has not been applied yet. */
  readonly inFlight = new Set<number>();
  /** Requests relayed, for tests and benches. */
  sent = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Aborted by pause, cancel and stop: the steps handed to the relay before it are not delivered. */
  private abort = new AbortController();
  private pumping = false;
  private again = false;
  private done = false;
  private halted = false;
  /** A live view is published (the latest records were not stored). */
  private liveShown = false;
  /** The last body Azure DevOps answered for each connection (memory only, for the panel's refresh). */
  private readonly lastBody = new Map<string, string>();

  constructor(
    readonly job: ConversionJob,
    public target: JobTarget,
    private readonly deps: DriverDeps,
  ) {
    this.org = target.organizationName;
    this.id = job.header().id;
  }

  /** The machine's view of the job. */
  view(): JobView {
    return this.job.view();
  }

  /** Whether the machine said Done (it may run again after a retry). */
  get finished(): boolean {
    return this.done;
  }

  /** Done and quiet (no pump, no request out, no timer): it may be freed. */
  get idle(): boolean {
    return this.done && !this.pumping && this.inFlight.size === 0 && this.timer === null;
  }

  /** Stops driving and frees the engine's job (the runner is unusable after). */
  free(): void {
    this.stop();
    this.job.free();
  }

  /** The last answer's body for a connection, if one was seen by this worker. */
  body(id: string): string | null {
    return this.lastBody.get(id.toLowerCase()) ?? null;
  }

  /** Starts (or continues) the loop. */
  start(): void {
    this.kick();
  }

  /**
   * A user command (pause, resume, cancel, retry). Reaches the machine at once; a timer the
   * driver armed is cleared only once the machine took the command (apply is synchronous, so
   * a wait, a 429's, sends nothing after a pause or cancel). Throws the machine's refusal,
   * changing nothing (the timer stays armed). Throws too when the command's record could not
   * be stored: the machine holds it in memory (a pause or cancel stays in effect: nothing is
   * sent) but a restarted worker would not know it, and the user must hear so.
   */
  async command(event: JobEvent & { type: 'pause' | 'resume' | 'cancel' | 'retry' }): Promise<JobView> {
    const records = this.job.apply(event, this.deps.now());
    this.clearTimer();
    if (event.type === 'pause' || event.type === 'cancel') this.abortInFlight();
    let stored = true;
    try {
      stored = await this.persist(records, 0);
    } finally {
      this.kick();
    }
    if (!stored) {
      const pause = this.job.view().pause;
      const why = pause ? `: ${pause.message}` : '';
      // A pause or cancel holds in memory (nothing is sent); a resume or retry did not go on:
      // the failed write paused the job again.
      throw new Error(
        event.type === 'pause' || event.type === 'cancel'
          ? `The ${event.type} is in effect in this browser session but could not be stored${why}.`
          : `The ${event.type} could not be stored; the job stays paused${why}.`,
      );
    }
    return this.job.view();
  }

  /**
   * Stops driving: the timer is cleared and nothing more is applied or sent (the worker is
   * going away, or a test ends). A new worker restores the job from storage.
   */
  stop(): void {
    this.halted = true;
    this.clearTimer();
    this.abortInFlight();
  }

  /** Requests the relay still holds are not delivered; steps handed out after this are. */
  private abortInFlight(): void {
    this.abort.abort();
    this.abort = new AbortController();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(atMs: number): void {
    this.clearTimer();
    if (this.halted) return;
    const ms = Math.max(0, atMs - this.deps.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.event({ type: 'timer' });
    }, ms);
  }

  /**
   * Applies an event and stores its records (in the order applied), then lets the machine go
   * on. An answer the machine refuses (it cannot decode it) is applied as that step's `lost`
   * answer, so the machine settles it (with a read) instead of waiting for it for ever.
   */
  private async event(event: JobEvent): Promise<void> {
    if (this.halted) return;
    let records: JobRecord[] = [];
    try {
      records = this.job.apply(event, this.deps.now());
    } catch (err) {
      if (event.type === 'answer') {
        const message = `The answer could not be read: ${err instanceof Error ? err.message : String(err)}`;
        try {
          records = this.job.apply({ type: 'lost', step: event.step, why: { kind: 'network', message } }, this.deps.now());
        } catch {
          // Refused too: nothing changed.
        }
      }
    }
    await this.persist(records, 0);
    this.kick();
  }

  /**
   * Stores records; on failure applies the machine's StorageFailed (it pauses). False if it failed.
   * `batch` names the `next` batch these records came from (its steps were not performed, so
   * the machine undoes it); records of an answer, timer or command pass 0, a batch id that
   * matches none, so nothing already sent is undone (and sent again).
   */
  private async persist(records: JobRecord[], batch: number): Promise<boolean> {
    if (records.length === 0) return true;
    try {
      await this.deps.append(this.org, this.id, records);
      if (this.liveShown) {
        this.liveShown = false;
        void this.deps.live?.(this.org, this.id, null).catch(() => undefined);
      }
      return true;
    } catch {
      await this.storageFailed(batch);
      return false;
    }
  }

  private async storageFailed(batch: number): Promise<void> {
    this.clearTimer();
    // The pause is applied at once (nothing is sent while the usage numbers are fetched);
    // its message is refreshed with the numbers after.
    let records: JobRecord[] = [];
    try {
      records = this.job.apply({ type: 'storageFailed', jobs: 0, kilobytes: 0, batch }, this.deps.now());
    } catch {
      // Already paused or finished.
    }
    this.deps.changed?.(this);
    let u = { jobs: 0, kilobytes: 0 };
    try {
      u = await this.deps.usage();
    } catch {
      // The numbers stay 0: the pause is what matters.
    }
    if (u.jobs !== 0 || u.kilobytes !== 0) {
      try {
        records = [
          ...records,
          ...this.job.apply({ type: 'storageFailed', jobs: u.jobs, kilobytes: u.kilobytes, batch: 0 }, this.deps.now()),
        ];
      } catch {
        // Already paused with the first numbers.
      }
    }
    // Tried once: the pause's own record may not fit either; the job is paused in memory,
    // and its live view is published so the panel shows the pause all the same.
    try {
      await this.deps.append(this.org, this.id, records);
    } catch {
      this.liveShown = true;
      await this.deps.live?.(this.org, this.id, this.job.view()).catch(() => undefined);
    }
    this.deps.changed?.(this);
  }

  private kick(): void {
    if (this.halted) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        this.again = false;
        const { records, steps, batch } = this.job.next(this.deps.now());
        // Records first: a send's "sent" is on disk before the request leaves.
        if (!(await this.persist(records, batch))) {
          this.again = true;
          continue;
        }
        for (const step of steps) this.perform(step);
        if (!this.again) break;
      }
    } finally {
      this.pumping = false;
    }
    this.deps.changed?.(this);
  }

  private perform(step: JobStep): void {
    switch (step.type) {
      case 'send':
      case 'read':
      case 'poll': {
        this.done = false;
        this.inFlight.add(step.step);
        this.sent += 1;
        const id = step.id;
        this.deps.send(this.target, step.request, this.abort.signal).then(
          (response) => {
            this.inFlight.delete(step.step);
            if (response.status >= 200 && response.status < 300) this.lastBody.set(id.toLowerCase(), response.body);
            void this.event({ type: 'answer', step: step.step, response });
          },
          (err: unknown) => {
            this.inFlight.delete(step.step);
            const why: LostAnswer =
              err instanceof LostError ? err.why : { kind: 'network', message: err instanceof Error ? err.message : String(err) };
            void this.event({ type: 'lost', step: step.step, why });
          },
        );
        return;
      }
      case 'waitUntil':
        this.arm(step.atMs);
        return;
      case 'paused':
        this.clearTimer();
        if (step.resumeAtMs !== null) this.arm(step.resumeAtMs);
        return;
      case 'done':
        this.clearTimer();
        if (!this.done) {
          this.done = true;
          void this.deps.ended(this.org, this.id, this.deps.now()).catch(() => undefined);
        }
        return;
    }
  }
}
