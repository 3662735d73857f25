package dev.sluice.sidecar.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RequestCopyTest {
    /** A gRPC message on the wire: the compressed flag, the length (big-endian), the payload. */
    private static byte[] message(int flag, byte[] payload) {
        ByteBuffer framed = ByteBuffer.allocate(5 + payload.length);
        framed.put((byte) flag).putInt(payload.length).put(payload);
        return framed.array();
    }

    private static byte[] message(String payload) {
        return message(0, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Feeds {@code body} in reads of {@code chunk} bytes, each from the middle of a larger buffer as a channel leaves it. */
    private static RequestCopy copied(byte[] body, int chunk, int maxBytes, boolean ended) {
        RequestCopy copy = new RequestCopy(maxBytes);
        for (int at = 0; at < body.length; at += chunk) {
            int count = Math.min(chunk, body.length - at);
            ByteBuffer buffer = ByteBuffer.allocate(count + 20);
            buffer.position(7);
            buffer.put(body, at, count);
            copy.append(buffer, 7, 7 + count);
        }
        if (ended) {
            copy.end();
        }
        return copy;
    }

    @Test
    void oneWholeMessageIsTheCopyWhateverTheReads() {
        byte[] one = message("hello, server");
        for (int chunk : new int[] {1, 2, 5, 6, one.length}) {
            assertThat(copied(one, chunk, 1024, true).message()).as("reads of " + chunk).isEqualTo(one);
        }
        byte[] compressed = message(1, new byte[] {9, 8, 7});
        assertThat(copied(compressed, 3, 1024, true).message()).isEqualTo(compressed);
        byte[] empty = message(0, new byte[0]);
        assertThat(copied(empty, 2, 1024, true).message()).as("a message with no payload").isEqualTo(empty);
    }

    @Test
    void aBodyStillArrivingIsNotACopyYet() {
        byte[] one = message("hello");
        assertThat(copied(one, 2, 1024, false).message()).isNull();
        assertThat(copied(Arrays.copyOf(one, one.length - 1), 2, 1024, true).message()).as("cut short").isNull();
        assertThat(copied(new byte[0], 1, 1024, true).message()).as("no message at all").isNull();
    }

    @Test
    void twoMessagesAreNeverOne() {
        byte[] two = concat(message("first"), message("second"));
        for (int chunk : new int[] {1, 10, two.length}) {
            assertThat(copied(two, chunk, 1024, true).message()).as("reads of " + chunk).isNull();
        }
        byte[] secondStarted = concat(message("first"), new byte[] {0});
        assertThat(copied(secondStarted, 4, 1024, true).message()).isNull();
    }

    @Test
    void aBodyOverTheLimitIsDropped() {
        byte[] one = message("x".repeat(100));
        assertThat(copied(one, 7, one.length, true).message()).as("exactly the limit").isEqualTo(one);
        assertThat(copied(one, 7, one.length - 1, true).message()).isNull();
        assertThat(copied(Arrays.copyOf(one, 5), 5, 50, false).message()).as("the prefix alone says it is too long").isNull();
        assertThat(copied(one, 7, 0, true).message()).isNull();
    }

    @Test
    void aDroppedCopyCopiesNoMore() {
        byte[] one = message("hello");
        RequestCopy copy = copied(Arrays.copyOf(one, 6), 6, 1024, false);
        copy.drop();
        ByteBuffer rest = ByteBuffer.wrap(one);
        copy.append(rest, 6, one.length);
        copy.end();

        assertThat(copy.message()).isNull();
    }

    @Test
    void aBodyThatIsNotGrpcFramingIsNotAMessage() {
        byte[] one = message("hello");
        one[0] = 2;
        assertThat(copied(one, 3, 1024, true).message()).isNull();
        byte[] text = "GET me the thing".getBytes(StandardCharsets.US_ASCII);
        assertThat(copied(text, 4, 1024, true).message()).isNull();
    }
}
