package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One dimension of a compound key: its {@code type}, with {@code header} or {@code segment} where the type needs it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KeyDimension(KeyType type, String header, Integer segment) {
    public static KeyDimension clientIp() {
        return new KeyDimension(KeyType.ClientIP, null, null);
    }

    public static KeyDimension header(String name) {
        return new KeyDimension(KeyType.Header, name, null);
    }

    public static KeyDimension pathSegment(int index) {
        return new KeyDimension(KeyType.PathSegment, null, index);
    }

    public static KeyDimension route() {
        return new KeyDimension(KeyType.Route, null, null);
    }
}
