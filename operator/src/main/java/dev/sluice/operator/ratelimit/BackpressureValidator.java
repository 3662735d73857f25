package dev.sluice.operator.ratelimit;

import dev.sluice.api.config.FieldError;
import dev.sluice.api.config.LimitPeriod;
import dev.sluice.api.config.ResilienceValidator;
import dev.sluice.api.v1alpha1.AdaptiveConcurrency;
import dev.sluice.api.v1alpha1.Backpressure;
import dev.sluice.api.v1alpha1.ConcurrencyLimit;
import dev.sluice.api.v1alpha1.LoadShedding;
import dev.sluice.api.v1alpha1.PriorityLevel;
import dev.sluice.operator.render.ResilienceRendering;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Semantic checks of a policy's {@code backpressure}, as a pure function returning field errors. */
final class BackpressureValidator {
    private static final Pattern HTTP_TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private final List<FieldError> errors = new ArrayList<>();

    private BackpressureValidator() {
    }

    static List<FieldError> validate(Backpressure backpressure, String path) {
        BackpressureValidator validator = new BackpressureValidator();
        validator.backpressure(backpressure, path);
        if (validator.errors.isEmpty()) {
            validator.errors.addAll(ResilienceValidator.validateBackpressure(ResilienceRendering.toBackpressureConfig(backpressure), path));
        }
        return List.copyOf(validator.errors);
    }

    private void backpressure(Backpressure backpressure, String path) {
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

    private void concurrency(ConcurrencyLimit concurrency, String path) {
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

    private void shedding(LoadShedding shedding, String path) {
        if (shedding.priorityHeader() == null || !HTTP_TOKEN.matcher(shedding.priorityHeader()).matches()) {
            error(path + ".priorityHeader", "'" + shedding.priorityHeader() + "' is not a valid header name");
        }
        if (shedding.priorities().isEmpty()) {
            error(path + ".priorities", "must have at least one priority");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < shedding.priorities().size(); i++) {
            PriorityLevel level = shedding.priorities().get(i);
            String levelPath = path + ".priorities[" + i + "]";
            if (level.name() == null || level.name().isBlank()) {
                error(levelPath + ".name", "is required");
            } else if (!names.add(level.name())) {
                error(levelPath + ".name", "'" + level.name() + "' is used by more than one priority");
            }
            if (level.shedAtUtilisation() == null || level.shedAtUtilisation() < 1 || level.shedAtUtilisation() > 100) {
                error(levelPath + ".shedAtUtilisation", "must be between 1 and 100 (percent), got " + level.shedAtUtilisation());
            }
        }
        if (shedding.defaultPriority() == null || !names.contains(shedding.defaultPriority())) {
            error(path + ".defaultPriority", "'" + shedding.defaultPriority() + "' is not one of the priorities " + names.stream().sorted().toList());
        }
    }

    private void adaptive(AdaptiveConcurrency adaptive, String path) {
        int min = adaptive.minLimit() == null ? AdaptiveConcurrency.DEFAULT_MIN_LIMIT : adaptive.minLimit();
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
