package dev.sluice.api.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A limit's period: a fixed duration ({@code 500ms}, {@code 1s}, {@code 5m}, {@code 1h}, {@code 1d}) or
 * a number of calendar months ({@code 1mo}), whose length varies and which only a fixed window can count.
 */
public record LimitPeriod(Duration duration, int months) {
    public static final String FORMAT = "a whole number followed by ms, s, m, h, d or mo (e.g. 500ms, 1s, 1h, 1d, 1mo)";
    private static final Pattern SYNTAX = Pattern.compile("([0-9]{1,9})(ms|s|m|h|d|mo)");

    /** Parses a period; throws {@link IllegalArgumentException} with a message naming the value. */
    public static LimitPeriod parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("is required: " + FORMAT);
        }
        Matcher matcher = SYNTAX.matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a period: " + FORMAT);
        }
        long amount = Long.parseLong(matcher.group(1));
        if (amount == 0) {
            throw new IllegalArgumentException("'" + text + "' must be longer than zero");
        }
        return switch (matcher.group(2)) {
            case "ms" -> new LimitPeriod(Duration.ofMillis(amount), 0);
            case "s" -> new LimitPeriod(Duration.ofSeconds(amount), 0);
            case "m" -> new LimitPeriod(Duration.ofMinutes(amount), 0);
            case "h" -> new LimitPeriod(Duration.ofHours(amount), 0);
            case "d" -> new LimitPeriod(Duration.ofDays(amount), 0);
            default -> new LimitPeriod(null, Math.toIntExact(amount));
        };
    }

    /** Parses a plain duration (no calendar months), for timeouts and intervals. */
    public static Duration parseDuration(String text) {
        LimitPeriod period = parse(text);
        if (period.isCalendarMonths()) {
            throw new IllegalArgumentException("'" + text + "' must be a fixed duration (ms, s, m, h or d), not months");
        }
        return period.duration();
    }

    public boolean isCalendarMonths() {
        return months > 0;
    }

    /** The nominal length in seconds (a month counts as 30 days), for headers that describe the window. */
    public long nominalSeconds() {
        return isCalendarMonths() ? months * 30L * 86_400L : Math.max(1, duration.toSeconds());
    }
}
