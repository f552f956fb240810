// LoadGen.java - pipelined load for the zkdd benchmark inputs (not a test fixture).
//
// Drives a real ZooKeeper 3.8 server through its async client API with thousands of
// outstanding requests (bounded by a semaphore) so one txn log grows to >= 1 GB in minutes.
//
//   fill  PORT V2DIR NODES LOG_BYTES  create NODES znodes under a few hundred parents (some via
//                                     multi, a few ephemerals), delete 5 % of them, then setData
//                                     (plus some creates/deletes/multis) until the newest
//                                     V2DIR/log.* holds >= LOG_BYTES
//   churn PORT V2DIR NODES LOG_BYTES  setData-heavy mix (with creates, deletes, multis, a few
//                                     failing multis) on the tree left by fill, until the newest
//                                     log holds >= LOG_BYTES
//   binary PORT V2DIR NODES LOG_BYTES fill, with every znode's data random bytes of the same
//                                     lengths (nearly never valid UTF-8: dumped as base64)
//
// -Dloadgen.fill=MIN:MAX sets the sizes of the data fill creates (default 200:400).
//
// Paths are deterministic functions of an index so both phases (and reruns) agree without
// state; data is pseudo-random printable JSON-ish text from a fixed seed (random bytes for
// binary).
//
// Compile: javac -cp /usr/share/java/zookeeper.jar -d OUT LoadGen.java
// Run:     java -cp OUT:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar LoadGen fill ...
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

public class LoadGen {
    static final int OUTSTANDING = 4000;
    static final String[] TOPS = {"services", "config", "brokers/topics", "jobs", "locks", "users"};
    static final int GROUPS_PER_TOP = 50; // 6 * 50 = 300 parents

    static ZooKeeper zk;
    static final Semaphore permits = new Semaphore(OUTSTANDING);
    static final AtomicLong sent = new AtomicLong();
    static final AtomicLong failed = new AtomicLong();
    static final AtomicReference<String> fatal = new AtomicReference<>();
    static final Random rnd = new Random(20261123L);
    static File v2;
    static long t0;
    /** Sizes of the data fill creates: -Dloadgen.fill=MIN:MAX (default 200:400; bigger for
     *  generate-bigsnap.sh's multi-GiB snapshot). */
    static final int FILL_MIN, FILL_MAX;
    static {
        String[] f = System.getProperty("loadgen.fill", "200:400").split(":");
        FILL_MIN = Integer.parseInt(f[0]);
        FILL_MAX = Integer.parseInt(f[1]);
    }
    /** Data is random bytes instead of text (mode binary). */
    static boolean binary;

    public static void main(String[] args) throws Exception {
        if (args.length != 5 || !(args[0].equals("fill") || args[0].equals("churn") || args[0].equals("binary"))) {
            System.err.println("usage: LoadGen fill|churn|binary PORT V2DIR NODES LOG_BYTES");
            System.exit(2);
        }
        int port = Integer.parseInt(args[1]);
        v2 = new File(args[2]);
        int nodes = Integer.parseInt(args[3]);
        long logBytes = Long.parseLong(args[4]);
        CountDownLatch up = new CountDownLatch(1);
        zk = new ZooKeeper("127.0.0.1:" + port, 30000, e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) up.countDown();
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.Disconnected
                || e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.Expired) {
                fatal.compareAndSet(null, "session " + e.getState());
            }
        });
        up.await();
        t0 = System.nanoTime();
        binary = args[0].equals("binary");
        if (args[0].equals("churn")) churn(nodes, logBytes); else fill(nodes, logBytes);
        drain();
        zk.close();
        say("done: " + sent.get() + " requests, " + failed.get() + " failed (expected: failing multis, races)");
        if (fatal.get() != null) { System.err.println("LoadGen: " + fatal.get()); System.exit(1); }
    }

    // ---- paths and data ----
    static String parent(int i) {
        int p = i % (TOPS.length * GROUPS_PER_TOP);
        String top = TOPS[p / GROUPS_PER_TOP];
        int g = p % GROUPS_PER_TOP;
        switch (top) {
            case "services": return "/services/svc-" + g + "/instances";
            case "config": return "/config/team" + g;
            case "brokers/topics": return "/brokers/topics/topic-" + g + "/partitions";
            case "jobs": return "/jobs/queue-" + g;
            case "locks": return "/locks/resource-" + g;
            default: return "/users/shard-" + g;
        }
    }

    static String path(int i) {
        String p = parent(i);
        if (p.startsWith("/services")) return p + "/instance-" + String.format("%08d", i);
        if (p.startsWith("/brokers")) return p + "/" + i + "/state";
        if (p.startsWith("/jobs")) return p + "/job-" + Integer.toHexString(i * 0x9E3779B1) + "-" + String.format("%010d", i);
        if (p.startsWith("/locks")) return p + "/lock-" + String.format("%010d", i);
        if (p.startsWith("/users")) return p + "/user" + i + "@example.com";
        return p + "/key." + i;
    }

    /** brokers paths need an intermediate node per index. */
    static String brokerMid(int i) {
        String p = parent(i);
        return p.startsWith("/brokers") ? p + "/" + i : null;
    }

    static final String ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

    static byte[] data(int i, int version, int min, int max) {
        Random r = new Random(i * 1000003L + version);
        int len = min + r.nextInt(max - min + 1);
        if (binary) {
            byte[] b = new byte[len];
            r.nextBytes(b);
            return b;
        }
        StringBuilder sb = new StringBuilder(len + 64);
        sb.append("{\"id\":").append(i).append(",\"v\":").append(version).append(",\"host\":\"10.")
          .append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.').append(i & 255)
          .append("\",\"payload\":\"");
        while (sb.length() < len - 2) sb.append(ALPHA.charAt(r.nextInt(ALPHA.length())));
        sb.append("\"}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    // ---- async plumbing ----
    static void acquire() throws InterruptedException {
        if (fatal.get() != null) throw new IllegalStateException(fatal.get());
        permits.acquire();
        sent.incrementAndGet();
    }

    static void done(int rc, boolean okToFail) {
        permits.release();
        if (rc != 0) {
            failed.incrementAndGet();
            KeeperException.Code c = KeeperException.Code.get(rc);
            if (c == KeeperException.Code.CONNECTIONLOSS || c == KeeperException.Code.SESSIONEXPIRED) {
                fatal.compareAndSet(null, "request failed: " + c);
            } else if (!okToFail && failed.get() < 10) {
                System.err.println("LoadGen: request failed: " + c);
            }
        }
    }

    static final AsyncCallback.StringCallback CREATED = (rc, p, ctx, name) -> done(rc, ctx != null);
    static final AsyncCallback.StatCallback SET = (rc, p, ctx, stat) -> done(rc, ctx != null);
    static final AsyncCallback.VoidCallback DELETED = (rc, p, ctx) -> done(rc, ctx != null);
    static final AsyncCallback.MultiCallback MULTI = (rc, p, ctx, res) -> done(rc, ctx != null);

    static void create(String p, byte[] d, CreateMode m, Object okToFail) throws InterruptedException {
        acquire();
        zk.create(p, d, ZooDefs.Ids.OPEN_ACL_UNSAFE, m, CREATED, okToFail);
    }

    static void setData(int i, int version) throws InterruptedException {
        acquire();
        zk.setData(path(i), data(i, version, 300, 700), -1, SET, null);
    }

    static void delete(String p, Object okToFail) throws InterruptedException {
        acquire();
        zk.delete(p, -1, DELETED, okToFail);
    }

    static void multi(List<Op> ops, Object okToFail) throws InterruptedException {
        acquire();
        zk.multi(ops, MULTI, okToFail);
    }

    static void drain() throws InterruptedException {
        permits.acquire(OUTSTANDING);
        permits.release(OUTSTANDING);
    }

    static long newestLogSize() {
        File[] fs = v2.listFiles((d, n) -> n.startsWith("log."));
        long best = -1, size = 0;
        if (fs == null) return 0;
        for (File f : fs) {
            long z = Long.parseUnsignedLong(f.getName().substring(4), 16);
            if (z > best) { best = z; size = f.length(); }
        }
        return size;
    }

    static void say(String s) {
        System.err.printf("[LoadGen %6.1fs] %s%n", (System.nanoTime() - t0) / 1e9, s);
    }

    static boolean isDeleted(int i) { return i % 20 == 7; }

    // ---- phases ----
    static void fill(int nodes, long logBytes) throws Exception {
        // parents, synchronously (few hundred)
        List<String> made = new ArrayList<>();
        for (int p = 0; p < TOPS.length * GROUPS_PER_TOP; p++) {
            String full = parent(p);
            StringBuilder cur = new StringBuilder();
            for (String part : full.substring(1).split("/")) {
                cur.append('/').append(part);
                String c = cur.toString();
                if (made.contains(c)) continue;
                made.add(c);
                try {
                    zk.create(c, null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                } catch (KeeperException.NodeExistsException e) {
                    // rerun on a partially filled server
                }
            }
        }
        say("created " + made.size() + " parents");
        for (int i = 0; i < nodes; i++) {
            String mid = brokerMid(i);
            if (mid != null) {
                // partition node + its state child in one multi
                List<Op> ops = new ArrayList<>();
                ops.add(Op.create(mid, ("{\"leader\":" + (i % 5) + "}").getBytes(StandardCharsets.UTF_8),
                                  ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
                ops.add(Op.create(path(i), data(i, 0, FILL_MIN, FILL_MAX), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
                multi(ops, null);
            } else {
                create(path(i), data(i, 0, FILL_MIN, FILL_MAX), CreateMode.PERSISTENT, null);
            }
            if (i % 1000 == 0) {
                // a few ephemerals (removed again by the closeSession at the end)
                create(parent(i) + "/live-" + i, data(i, 0, 20, 60), CreateMode.EPHEMERAL, null);
            }
            if (i % 200000 == 0 && i > 0) say("created " + i + " nodes, log " + (newestLogSize() >> 20) + " MiB");
        }
        drain();
        say("created " + nodes + " nodes, log " + (newestLogSize() >> 20) + " MiB");
        for (int i = 7; i < nodes; i += 20) {
            if (brokerMid(i) != null) {
                List<Op> ops = new ArrayList<>();
                ops.add(Op.delete(path(i), -1));
                ops.add(Op.delete(brokerMid(i), -1));
                multi(ops, null);
            } else {
                delete(path(i), null);
            }
        }
        drain();
        say("deleted 5 %, log " + (newestLogSize() >> 20) + " MiB");
        mixed(nodes, logBytes, 1, false);
    }

    static void churn(int nodes, long logBytes) throws Exception {
        mixed(nodes, logBytes, 1000, true);
    }

    /**
     * setData on live nodes (~85 %), plus creates of fresh indexes above NODES, deletes of
     * older fresh ones, multis (setData+create, check+setData, sometimes failing).
     */
    static void mixed(int nodes, long logBytes, int version0, boolean churn) throws Exception {
        int fresh = nodes + (churn ? 50_000_000 : 0);
        int freshStart = fresh;
        int version = version0;
        long n = 0;
        while (newestLogSize() < logBytes) {
            for (int k = 0; k < 20000; k++, n++) {
                int i = rnd.nextInt(nodes);
                if (isDeleted(i)) i++;
                int roll = rnd.nextInt(100);
                if (roll < (churn ? 75 : 88)) {
                    setData(i, ++version);
                } else if (roll < (churn ? 85 : 93)) {
                    while (brokerMid(fresh) != null) fresh++; // no partition parent for fresh indexes
                    create(path(fresh), data(fresh, 0, 200, 400), CreateMode.PERSISTENT, null);
                    fresh++;
                } else if (roll < (churn ? 92 : 96)) {
                    // delete an older fresh node (ok to fail: it may be gone already)
                    if (fresh - freshStart > 1000) {
                        int j = freshStart + rnd.nextInt(fresh - freshStart - 500);
                        delete(path(j), "");
                    } else {
                        setData(i, ++version);
                    }
                } else if (roll < 99) {
                    List<Op> ops = new ArrayList<>();
                    ops.add(Op.setData(path(i), data(i, ++version, 300, 700), -1));
                    int i2 = rnd.nextInt(nodes);
                    if (isDeleted(i2)) i2++;
                    ops.add(Op.setData(path(i2), data(i2, ++version, 300, 700), -1));
                    ops.add(Op.create(parent(i) + (churn ? "/m2-" : "/m1-") + n, data(i, version, 50, 150),
                                      ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
                    multi(ops, null);
                } else {
                    // failing multi: a version check that cannot match -> error sub-txns in the log
                    List<Op> ops = new ArrayList<>();
                    ops.add(Op.setData(path(i), data(i, ++version, 100, 200), -1));
                    ops.add(Op.check(path(i), 1 << 30));
                    multi(ops, "");
                }
            }
            if (n % 200000 == 0) say(n + " mixed ops, log " + (newestLogSize() >> 20) + " MiB");
        }
        say("mixed phase done: " + n + " ops, log " + (newestLogSize() >> 20) + " MiB");
    }
}
