package dev.sluice.operator.jobs;

import dev.sluice.operator.jobs.CreateDecision.Outcome;
import java.util.List;

/**
 * What happens to an update of a Job made by anyone but the operator.
 *
 * @param outcome {@link Outcome#UNGOVERNED}: nothing to decide, let through; {@link Outcome#ADMIT}: the Job's
 *     owner un-suspends it and there is room; {@link Outcome#REFUSE}: refused
 * @param message REFUSE only: why, and where the Job stands in the queue
 * @param quotas the Enforce quotas behind the outcome
 */
public record UpdateDecision(Outcome outcome, String message, List<String> quotas) {
    public UpdateDecision {
        quotas = List.copyOf(quotas);
    }

    static UpdateDecision letThrough() {
        return new UpdateDecision(Outcome.UNGOVERNED, null, List.of());
    }

    public boolean allowed() {
        return outcome != Outcome.REFUSE;
    }
}
