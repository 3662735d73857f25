package dev.sluice.operator.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A decision whose effect the API server may not show yet: a Job admitted (or queued) at creation
 * whose create request has not been stored, or a queued Job being resumed. Until the Job shows its
 * effect in a fresh list, the ticket stands in for it, so that decisions count it.
 *
 * @param id for {@link Kind#CREATE} and {@link Kind#QUEUE} the value of the Job's {@link JobMarks#TICKET}
 *     annotation; for {@link Kind#RESUME} the Job's uid
 * @param job the Job's name (or its generateName prefix), for people reading the ledger; for
 *     {@link Kind#UNREADABLE_LEDGER}, what could not be read
 * @param named whether {@code job} is the Job's exact name: once a Job of that name exists, this
 *     admission either made it or can no longer make it (names are unique), so the ticket is settled
 * @param labels the Job's labels, which quotas select on
 * @param notBefore {@link Kind#QUEUE} only: the failure backoff's end, or null
 */
public record Ticket(String id, Kind kind, String job, boolean named, Map<String, String> labels, Instant issuedAt, Instant notBefore) {
    /**
     * How long a ticket may wait for its Job. Longer than a create request can take (the API
     * server's default request timeout is 60s), so that a ticket never lapses while its Job may
     * still be stored; a lapsed ticket (the create failed after admission) only costs a slot for this long.
     */
    public static final Duration TTL = Duration.ofSeconds(90);

    public Ticket {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** What a ticket stands for. */
    public enum Kind {
        /** A Job admitted to run at creation. */
        CREATE,
        /** A Job queued at creation. */
        QUEUE,
        /** A queued Job being resumed. */
        RESUME,
        /**
         * Stands in for the tickets of a ledger that could not be read: how many admissions it held,
         * and of which Jobs, is unknown, so while it stands no Job is admitted. Those tickets were all
         * issued before the ledger was seen unreadable, so they have all lapsed {@link #TTL} after that.
         */
        UNREADABLE_LEDGER
    }

    /** The ticket that stands in for an unreadable ledger, seen so at {@code seenAt}. */
    public static Ticket unreadableLedger(String problem, Instant seenAt) {
        return new Ticket("unreadable-ledger", Kind.UNREADABLE_LEDGER, problem, false, Map.of(), seenAt, null);
    }

    /** When the ticket lapses, whatever the Jobs show. */
    public Instant lapsesAt() {
        return issuedAt.plus(TTL);
    }

    /** Whether {@code jobs} (a fresh list) already show this ticket's effect, or the ticket has lapsed. */
    public boolean settled(List<JobView> jobs, Instant now) {
        if (!now.isBefore(lapsesAt())) {
            return true;
        }
        if (kind == Kind.UNREADABLE_LEDGER) {
            return false;
        }
        if (kind == Kind.RESUME) {
            return jobs.stream().filter(job -> job.uid().equals(id)).findFirst()
                    .map(job -> !job.suspended() || job.finished())
                    .orElse(true);
        }
        return jobs.stream().anyMatch(job -> id.equals(job.ticket()) || named && job.name().equals(this.job));
    }

    /** Whether the ticket counts as a running Job. */
    public boolean activates() {
        return kind == Kind.CREATE || kind == Kind.RESUME;
    }
}
