package dev.sluice.operator.render.validation;

import dev.sluice.api.config.AdaptiveConfig;
import dev.sluice.api.config.BackpressureConfig;
import dev.sluice.api.config.ConcurrencyConfig;
import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.PriorityConfig;
import dev.sluice.api.config.ResilienceValidator;
import dev.sluice.api.config.SheddingConfig;
import dev.sluice.api.config.Syntax;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Semantic checks of a policy's {@code backpressure}, as a pure function returning field errors; then the sidecar's own. */
final class BackpressureValidation {
    private final List<FieldError> errors = new ArrayList<>();

    private BackpressureValidation() {
    }

    static List<FieldError> validate(BackpressureConfig backpressure, String path) {
        BackpressureValidation validator = new BackpressureValidation();
        validator.backpressure(backpressure, path);
        if (validator.errors.isEmpty()) {
            validator.errors.addAll(ResilienceValidator.validateBackpressure(backpressure, path));
        }
        return List.copyOf(validator.errors);
    }

    private void backpressure(BackpressureConfig backpressure, String path) {
        if (backpressure.concurrency() == null && backpressure.adaptive() == null) {
            error(path, "needs concurrency or adaptive: shedding works on the utilisation of a concurrency limit");
        }
        if (backpressure.concurrency() != null) {
            concurrency(backpressure.concurrency(), path + ".concurrency");
        }
        if (backpressure.shedding() != null) {
            shedding(backpressure.shedding(), path + ".shedding");
        }
        if (backpressure.adaptive() != null) {
            adaptive(backpressure.adaptive(), path + ".adaptive");
        }
    }

    private void concurrency(ConcurrencyConfig concurrency, String path) {
        if (concurrency.maxConcurrent() == null || concurrency.maxConcurrent() < 1) {
            error(path + ".maxConcurrent", "must be at least 1, got " + concurrency.maxConcurrent());
        }
        if (concurrency.queueSize() != null && concurrency.queueSize() < 0) {
            error(path + ".queueSize", "must be zero or more, got " + concurrency.queueSize());
        }
        if (concurrency.maxWait() != null) {
            try {
                LimitPeriod.parseDuration(concurrency.maxWait());
            } catch (IllegalArgumentException e) {
                error(path + ".maxWait", e.getMessage());
            }
        }
    }

    private void shedding(SheddingConfig shedding, String path) {
        if (!Syntax.isHttpToken(shedding.priorityHeader())) {
            error(path + ".priorityHeader", "'" + shedding.priorityHeader() + "' is not a valid header name");
        }
        if (shedding.priorities().isEmpty()) {
            error(path + ".priorities", "must have at least one priority");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < shedding.priorities().size(); i++) {
            PriorityConfig level = shedding.priorities().get(i);
            String levelPath = path + ".priorities[" + i + "]";
            if (level.name() == null || level.name().isBlank()) {
                error(levelPath + ".name", "is required");
            } else if (!names.add(level.name())) {
                error(levelPath + ".name", "'" + level.name() + "' is used by more than one priority");
            }
            if (level.shedAtUtilisation() == null || level.shedAtUtilisation() < Syntax.MIN_PERCENT || level.shedAtUtilisation() > Syntax.MAX_PERCENT) {
                error(levelPath + ".shedAtUtilisation", "must be between " + Syntax.MIN_PERCENT + " and " + Syntax.MAX_PERCENT
                        + " (percent), got " + level.shedAtUtilisation());
            }
        }
        if (shedding.defaultPriority() == null || !names.contains(shedding.defaultPriority())) {
            error(path + ".defaultPriority", "'" + shedding.defaultPriority() + "' is not one of the priorities " + names.stream().sorted().toList());
        }
    }

    private void adaptive(AdaptiveConfig adaptive, String path) {
        int min = adaptive.minLimit() == null ? AdaptiveConfig.DEFAULT_MIN_LIMIT : adaptive.minLimit();
        if (min < 1) {
            error(path + ".minLimit", "must be at least 1, got " + min);
        }
        if (adaptive.maxLimit() == null) {
            error(path + ".maxLimit", "is required");
            return;
        }
        if (adaptive.maxLimit() < min) {
            error(path + ".maxLimit", "must be at least minLimit " + min + ", got " + adaptive.maxLimit());
        }
        Integer initial = adaptive.initialLimit();
        if (initial != null && (initial < min || initial > adaptive.maxLimit())) {
            error(path + ".initialLimit", "must lie between minLimit " + min + " and maxLimit " + adaptive.maxLimit() + ", got " + initial);
        }
    }

    private void error(String field, String message) {
        errors.add(new FieldError(field, message));
    }
}
