package dev.sluice.api.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** One dimension of a compound key: its {@code type}, with {@code header} or {@code segment} where the type needs it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.type == 'Header' ? has(self.header) : !has(self.header)",
        message = "header is required for type Header and applies to no other type", fieldPath = ".header")
@ValidationRule(value = "self.type == 'PathSegment' ? has(self.segment) : !has(self.segment)",
        message = "segment is required for type PathSegment and applies to no other type", fieldPath = ".segment")
public record KeyDimension(
        @JsonPropertyDescription("ClientIP, Header, PathSegment or Route.") @Required KeyType type,
        @JsonPropertyDescription("For type Header: the request header whose value is the key.") String header,
        @JsonPropertyDescription("For type PathSegment: the zero-based index of the path segment.") @Min(0) @Max(63) Integer segment) {
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
