package dev.sluice.operator.jobs;

import java.time.Instant;
import java.util.List;

/**
 * Queued Jobs to resume now, in order, and when to look again.
 *
 * @param resume the Jobs to resume, each with the quotas admitting it (empty: released, as no Enforce quota selects it any more)
 * @param nextCheck the earliest end of a failure backoff that holds a queued Job, or null
 */
public record ResumePlan(List<Resume> resume, Instant nextCheck) {
    public ResumePlan {
        resume = List.copyOf(resume);
    }

    /** One Job to resume. */
    public record Resume(JobView job, List<String> quotas) {
        public Resume {
            quotas = List.copyOf(quotas);
        }
    }
}
