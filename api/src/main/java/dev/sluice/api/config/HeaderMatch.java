package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A request header condition: the header {@code name} with a value equal to {@code exact}, starting
 * with {@code prefix}, or matching {@code regex}; or, with {@code present}, the header's presence
 * ({@code true}) or absence ({@code false}). With none of these, the header must be present.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HeaderMatch(String name, String exact, String prefix, String regex, Boolean present) {
}
