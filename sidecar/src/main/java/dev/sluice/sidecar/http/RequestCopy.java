package dev.sluice.sidecar.http;

import io.undertow.server.ConduitWrapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.ConduitFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.StreamSourceConduit;

/**
 * A copy of a gRPC call's request body, taken as the body streams to the upstream, from which a retry sends the call
 * again. The call is not held back until its body is whole, as a buffered HTTP body is: a client- or bidi-streaming call
 * may wait for the app's answers before it sends more. The copy is only ever used when the whole request turns out to
 * be exactly one gRPC message (a 5-byte prefix, a compressed flag of 0 or 1 and a big-endian length, then that many
 * bytes: a unary or server-streaming call) of at most {@code maxBytes}; as soon as it cannot be one (a second message
 * starts, the message would be longer), it is dropped and copying stops. Confined to the exchange's I/O thread.
 */
final class RequestCopy implements ConduitWrapper<StreamSourceConduit> {
    private static final int PREFIX = 5;
    /** The first allocation, before the prefix tells the message's length. */
    private static final int INITIAL = 256;

    private final int maxBytes;
    private byte[] bytes = new byte[0];
    private int size;
    private boolean dropped;
    private boolean ended;

    RequestCopy(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Copies the body of {@code exchange} as it is read; to be called before anything reads it. */
    static RequestCopy attach(HttpServerExchange exchange, int maxBytes) {
        RequestCopy copy = new RequestCopy(maxBytes);
        exchange.addRequestWrapper(copy);
        return copy;
    }

    @Override
    public StreamSourceConduit wrap(ConduitFactory<StreamSourceConduit> factory, HttpServerExchange exchange) {
        return new Tee(factory.create());
    }

    /**
     * The request body, if it arrived whole and is one gRPC message of at most {@code maxBytes}; null while it is still
     * arriving, and for any other body (none, several messages, a longer one, not gRPC's framing).
     */
    byte[] message() {
        if (!ended || dropped || size < PREFIX || size != PREFIX + messageLength()) {
            return null;
        }
        return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
    }

    /** Takes the bytes between {@code from} and {@code to} of {@code buffer}, just read from the client. */
    void append(ByteBuffer buffer, int from, int to) {
        int count = to - from;
        if (dropped || count <= 0) {
            return;
        }
        if (count > maxBytes - size) {
            drop();
            return;
        }
        if (size + count > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.min(maxBytes, Math.max(size + count, Math.max(INITIAL, bytes.length * 2))));
        }
        buffer.duplicate().limit(to).position(from).get(bytes, size, count);
        size += count;
        if (size >= PREFIX) {
            long whole = PREFIX + messageLength();
            if (bytes[0] > 1 || bytes[0] < 0 || whole > maxBytes || size > whole) {
                drop();
            } else if (bytes.length < whole) {
                bytes = Arrays.copyOf(bytes, (int) whole);
            }
        }
    }

    /** The client's body ended. */
    void end() {
        ended = true;
    }

    private long messageLength() {
        return (bytes[1] & 0xFFL) << 24 | (bytes[2] & 0xFFL) << 16 | (bytes[3] & 0xFFL) << 8 | bytes[4] & 0xFFL;
    }

    /** Stops copying and lets the copy go: the call will not be sent again. */
    void drop() {
        dropped = true;
        bytes = null;
    }

    /** The client's request as the upstream reads it, copied on the way. */
    private final class Tee extends AbstractStreamSourceConduit<StreamSourceConduit> {
        Tee(StreamSourceConduit next) {
            super(next);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int from = dst.position();
            int read = next.read(dst);
            if (read > 0) {
                append(dst, from, dst.position());
            } else if (read < 0) {
                end();
            }
            return read;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
            int[] from = new int[len];
            for (int i = 0; i < len; i++) {
                from[i] = dsts[offs + i].position();
            }
            long read = next.read(dsts, offs, len);
            if (read > 0) {
                for (int i = 0; i < len; i++) {
                    append(dsts[offs + i], from[i], dsts[offs + i].position());
                }
            } else if (read < 0) {
                end();
            }
            return read;
        }

        // Both transfers go through read, so that what they move is copied too.
        @Override
        public long transferTo(long position, long count, FileChannel target) throws IOException {
            return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
        }

        @Override
        public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
            return IoUtils.transfer(new ConduitReadableByteChannel(this), count, throughBuffer, target);
        }
    }
}
