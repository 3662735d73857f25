package dev.sluice.sidecar.http;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import org.xnio.ChannelExceptionHandler;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * Moves a body from a source channel to a sink as it comes, without blocking, and flushes the sink whenever the
 * source has nothing more for the moment. Undertow's {@code Transfer} does not flush until the end: an HTTP/2
 * stream's or a chunked response's sink keeps what it is given until a frame is full, so a bidi gRPC call whose
 * client waits for each answer before it sends more, or a stream of small messages, would stand still until its
 * end. A pooled buffer is held only while bytes are in flight, not by an idle stream. Confined to the I/O thread
 * that both channels belong to.
 */
final class Pump implements ChannelListener<Channel> {
    private final StreamSourceChannel source;
    private final StreamSinkChannel sink;
    private final ByteBufferPool pool;
    private final ChannelListener<? super StreamSinkChannel> end;
    private final ChannelExceptionHandler<? super Channel> broken;
    private PooledByteBuffer pooled;
    private boolean flushing;
    private boolean over;

    private Pump(StreamSourceChannel source, StreamSinkChannel sink, ByteBufferPool pool, ChannelListener<? super StreamSinkChannel> end,
                 ChannelExceptionHandler<? super Channel> broken) {
        this.source = source;
        this.sink = sink;
        this.pool = pool;
        this.end = end;
        this.broken = broken;
    }

    /**
     * Starts moving {@code source} to {@code sink}. Once the source has ended and everything read is written, {@code end}
     * is called with the sink (which is neither shut down nor flushed: that is {@code end}'s). {@code broken} is called
     * with the channel that failed, reading or writing.
     */
    static void start(StreamSourceChannel source, StreamSinkChannel sink, ByteBufferPool pool, ChannelListener<? super StreamSinkChannel> end,
                      ChannelExceptionHandler<? super Channel> broken) {
        Pump pump = new Pump(source, sink, pool, end, broken);
        source.getReadSetter().set(pump);
        sink.getWriteSetter().set(pump);
        pump.run();
    }

    @Override
    public void handleEvent(Channel channel) {
        if (over) {
            if (channel instanceof StreamSourceChannel readable) {
                readable.suspendReads();
            } else if (channel instanceof StreamSinkChannel writable) {
                writable.suspendWrites();
            }
            return;
        }
        run();
    }

    private void run() {
        Channel failing = sink;
        try {
            if (flushing) {
                if (!sink.flush()) {
                    return;
                }
                flushing = false;
            }
            for (;;) {
                ByteBuffer buffer = pooled == null ? null : pooled.getBuffer();
                if (buffer != null && buffer.hasRemaining()) {
                    failing = sink;
                    sink.write(buffer);
                    if (buffer.hasRemaining()) {
                        // The sink is full: wait for it, and read nothing more meanwhile.
                        source.suspendReads();
                        sink.resumeWrites();
                        return;
                    }
                }
                if (pooled == null) {
                    pooled = pool.allocate();
                    buffer = pooled.getBuffer();
                }
                buffer.clear();
                failing = source;
                int read = source.read(buffer);
                buffer.flip();
                if (read > 0) {
                    continue;
                }
                release();
                if (read < 0) {
                    finish();
                    return;
                }
                // Nothing more for now: what the sink holds goes out, rather than wait for more that may only come once
                // the other side has had it.
                failing = sink;
                if (!sink.flush()) {
                    flushing = true;
                    source.suspendReads();
                    sink.resumeWrites();
                    return;
                }
                sink.suspendWrites();
                source.resumeReads();
                return;
            }
        } catch (IOException e) {
            over = true;
            release();
            broken.handleException(failing, e);
        }
    }

    private void finish() {
        over = true;
        source.suspendReads();
        source.getReadSetter().set(null);
        sink.suspendWrites();
        sink.getWriteSetter().set(null);
        end.handleEvent(sink);
    }

    private void release() {
        if (pooled != null) {
            pooled.close();
            pooled = null;
        }
    }
}
