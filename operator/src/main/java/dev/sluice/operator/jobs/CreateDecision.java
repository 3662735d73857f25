package dev.sluice.operator.jobs;

import java.time.Instant;
import java.util.List;

/**
 * What happens to a Job being created.
 *
 * @param message why (for QUEUE and REFUSE), as the Event and the refusal say
 * @param notBefore QUEUE only: the failure backoff's end, or null
 * @param quotas the Enforce quotas behind the outcome: those admitting it, holding it, or refusing it
 * @param dryRun what DryRun quotas would have done, when it is not ADMIT
 */
public record CreateDecision(Outcome outcome, String message, Instant notBefore, List<String> quotas, List<DryRunFinding> dryRun) {
    public CreateDecision {
        quotas = List.copyOf(quotas);
        dryRun = List.copyOf(dryRun);
    }

    /** The kinds of outcome. */
    public enum Outcome {
        /** No Enforce quota selects the Job: created as it is. */
        UNGOVERNED,
        /** Created to run now. */
        ADMIT,
        /** Created suspended, to be admitted later. */
        QUEUE,
        /** Creation refused. */
        REFUSE
    }

    /** What a DryRun quota would have done with the Job. */
    public record DryRunFinding(String quota, Outcome outcome, String message) {
    }
}
