import com.fasterxml.jackson.annotation.JsonManagedReference;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Mirrors the Java PromSNMP NetworkDevice entity as Jackson serialises it. */
@JsonPropertyOrder({"id", "sysName", "sysDescr", "sysContact", "sysLocation", "discoveredAt",
        "agents", "primaryAgent"})
public class NetworkDevice {
    public UUID id;
    public String sysName;
    public String sysDescr;
    public String sysContact;
    public String sysLocation;
    public Instant discoveredAt;
    @JsonManagedReference
    public List<Agent> agents = new ArrayList<>();
    /** The same object as one of {@link #agents}; Jackson writes it out again in full. */
    public Agent primaryAgent;

    public void addAgent(Agent agent) {
        agents.add(agent);
        agent.device = this;
    }
}
