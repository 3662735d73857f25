package dev.sluice.operator.render;

import dev.sluice.api.config.FieldError;
import java.util.List;

/**
 * What the rendering did with one resource, and why: the reconciler writes its status from this
 * alone and validates nothing itself.
 *
 * @param outcome whether the resource, its last valid version, or nothing of it is in the document
 * @param errors why it is not rendered as written; empty exactly when it is
 */
public record Verdict(Outcome outcome, List<FieldError> errors) {
    private static final Verdict RENDERED = new Verdict(Outcome.RENDERED, List.of());

    public Verdict {
        errors = List.copyOf(errors);
        if ((outcome == Outcome.RENDERED) != errors.isEmpty()) {
            throw new IllegalArgumentException(outcome + " with errors " + errors);
        }
    }

    public static Verdict rendered() {
        return RENDERED;
    }

    /** Invalid, so the document keeps the entry the resource had in the previous one. */
    public static Verdict keptPrevious(List<FieldError> errors) {
        return new Verdict(Outcome.KEPT_PREVIOUS, errors);
    }

    /** Invalid, or in conflict with what the document keeps, with no previous entry: nothing of it is in the document. */
    public static Verdict withheld(List<FieldError> errors) {
        return new Verdict(Outcome.WITHHELD, errors);
    }

    public boolean renderedAsWritten() {
        return outcome == Outcome.RENDERED;
    }

    /** Where a resource stands in the document. */
    public enum Outcome {
        RENDERED, KEPT_PREVIOUS, WITHHELD
    }
}
