// Restore.java - ground-truth dumper for zkdd test fixtures.
//
// Runs ZooKeeper's own restore (FileTxnSnapLog.restore: newest valid snapshot +
// log replay) on a data directory and prints the resulting tree as JSON Lines:
//   {"type":"node","path":...,"data":null|{"base64":...},"acl":[...],"stat":{...}}  (sorted by UTF-8 bytes of path)
//   {"type":"session","session":N,"timeout_ms":N}                                   (sorted by id)
//   {"type":"restore","last_zxid":N,"digest":N|null,"node_count":N}
// stat = the PERSISTED StatPersisted of DataNode.stat (stored cversion, stored ephemeralOwner).
//
// Usage: java -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar:<dir of Restore.class> \
//          -Dzookeeper.extendedTypesEnabled=true -Duser.timezone=UTC -Dfile.encoding=UTF-8 \
//          Restore <dataDir (parent of version-2)> [<output file>]
// WARNING: restore may write into the directory (e.g. snapshot.0 when it is empty): run it on a copy.
// Compile: javac -cp /usr/share/java/zookeeper.jar Restore.java
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.StatPersisted;
import org.apache.zookeeper.server.DataNode;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

public class Restore {
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: Restore <dataDir> [<outFile>]");
            System.exit(2);
        }
        File dir = new File(args[0]);
        FileTxnSnapLog snapLog = new FileTxnSnapLog(dir, dir);
        DataTree tree = new DataTree();
        Map<Long, Integer> sessions = new ConcurrentHashMap<>();
        long last = snapLog.restore(tree, sessions, (hdr, rec, digest) -> { });
        snapLog.close();

        // walk from the root
        TreeMap<byte[], String> paths = new TreeMap<>(Arrays::compareUnsigned);
        Deque<String> todo = new ArrayDeque<>();
        todo.push("/");
        while (!todo.isEmpty()) {
            String p = todo.pop();
            DataNode n = tree.getNode(p);
            if (n == null) throw new IllegalStateException("missing node " + p);
            paths.put(p.getBytes(StandardCharsets.UTF_8), p);
            Set<String> kids;
            synchronized (n) { kids = new HashSet<>(n.getChildren()); }
            for (String k : kids) todo.push(p.equals("/") ? "/" + k : p + "/" + k);
        }

        PrintStream out = args.length == 2
            ? new PrintStream(new FileOutputStream(args[1]), false, "UTF-8")
            : new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
        Base64.Encoder b64 = Base64.getEncoder();
        for (String p : paths.values()) {
            DataNode n = tree.getNode(p);
            StringBuilder sb = new StringBuilder();
            sb.append("{\"type\":\"node\",\"path\":").append(str(p)).append(",\"data\":");
            byte[] d = n.getData();
            if (d == null) sb.append("null");
            else sb.append("{\"base64\":\"").append(b64.encodeToString(d)).append("\"}");
            sb.append(",\"acl\":[");
            List<ACL> acl = tree.getACL(n);
            for (int i = 0; i < acl.size(); i++) {
                ACL a = acl.get(i);
                if (i > 0) sb.append(',');
                sb.append("{\"perms\":").append(a.getPerms())
                  .append(",\"scheme\":").append(str(a.getId().getScheme()))
                  .append(",\"id\":").append(str(a.getId().getId())).append('}');
            }
            StatPersisted s = n.stat;
            sb.append("],\"stat\":{\"czxid\":").append(s.getCzxid())
              .append(",\"mzxid\":").append(s.getMzxid())
              .append(",\"pzxid\":").append(s.getPzxid())
              .append(",\"ctime\":").append(s.getCtime())
              .append(",\"mtime\":").append(s.getMtime())
              .append(",\"version\":").append(s.getVersion())
              .append(",\"cversion\":").append(s.getCversion())
              .append(",\"aversion\":").append(s.getAversion())
              .append(",\"ephemeral_owner\":").append(s.getEphemeralOwner())
              .append("}}");
            out.println(sb);
        }
        for (Long id : new TreeSet<>(sessions.keySet())) {
            out.println("{\"type\":\"session\",\"session\":" + id + ",\"timeout_ms\":" + sessions.get(id) + "}");
        }
        String digest = ZooKeeperServer.isDigestEnabled() ? Long.toString(tree.getTreeDigest()) : "null";
        out.println("{\"type\":\"restore\",\"last_zxid\":" + last + ",\"digest\":" + digest
                    + ",\"node_count\":" + paths.size() + "}");
        out.flush();
        if (args.length == 2) out.close();
    }

    static String str(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                case '\b': b.append("\\b"); break;
                case '\f': b.append("\\f"); break;
                default:
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validPair(s, i)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
