// RestoreMany.java - runs ZooKeeper's own startup restore (FileTxnSnapLog.restore)
// on many data dirs in one JVM and prints one JSON line per dir:
//   {"dir":"...","ok":true,"last_zxid":N}   or   {"dir":"...","ok":false,"error":"Class: message"}
// Used by tests/testsuite/verify.rs to check what `zkdd verify` predicts.
// The dirs must be copies: restore may write snapshot.0 into a dir without snapshots.
import java.io.File;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

public class RestoreMany {
    public static void main(String[] args) {
        for (String d : args) {
            String line;
            try {
                File dir = new File(d);
                FileTxnSnapLog log = new FileTxnSnapLog(dir, dir);
                Map<Long, Integer> sessions = new ConcurrentHashMap<>();
                long last = log.restore(new DataTree(), sessions, (hdr, rec, digest) -> { });
                log.close();
                line = "{\"dir\":" + q(d) + ",\"ok\":true,\"last_zxid\":" + last + "}";
            } catch (Throwable t) {
                line = "{\"dir\":" + q(d) + ",\"ok\":false,\"error\":" + q(t.getClass().getSimpleName() + ": " + t.getMessage()) + "}";
            }
            System.out.println(line);
        }
        System.out.flush();
    }

    static String q(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
