package swarm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/berth-compose/berth/apply"
)

// stackFiles is a three-service project: a key-value store, a web service
// depending on its health, and a proxy depending on the web service's, on
// an overlay network, with a secret and a config, reached through the
// proxy's host-mode port (the routing mesh does not carry traffic here).
func stackFiles(port int) string {
	return fmt.Sprintf(`services:
  kv:
    image: %[1]s
    command: [kv]
    privileged: true
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 1s
      timeout: 2s
      retries: 30
    networks: [back]
    deploy:
      endpoint_mode: dnsrr
  web:
    image: %[1]s
    command: [web]
    environment:
      KV_ADDR: kv:6379
      GREETING: ${GREETING}
    depends_on:
      kv:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/health"]
      interval: 1s
      timeout: 2s
      retries: 30
    secrets: [pw]
    configs: [cfg]
    networks: [back]
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config:
        parallelism: 1
        delay: 1s
        order: start-first
        failure_action: rollback
        monitor: 3s
      rollback_config:
        parallelism: 0
        order: stop-first
  proxy:
    image: %[1]s
    command: [proxy]
    environment:
      UPSTREAM: http://web:8000
    depends_on:
      web:
        condition: service_healthy
    ports:
      - target: 80
        published: %[2]d
        mode: host
    networks: [back]
    deploy:
      endpoint_mode: dnsrr
networks:
  back:
    driver: overlay
secrets:
  pw:
    file: ./pw.txt
configs:
  cfg:
    file: ./cfg.txt
`, testImage, port)
}

func TestSwarmDeployFirstLook(t *testing.T) {
	d := swarmEngine(t)
	st := newTestStack(t, d)
	st.write("compose.yaml", stackFiles(freePort(t)))
	st.write(".env", "GREETING=hello\n")
	st.write("pw.txt", "s3cret\n")
	st.write("cfg.txt", "setting=1\n")
	plan := st.plan()
	var b strings.Builder
	_ = apply.WriteHuman(&b, plan)
	t.Log(b.String())
	if err := st.execute(plan); err != nil {
		t.Fatal(err)
	}
	again := st.plan()
	b.Reset()
	_ = apply.WriteHuman(&b, again)
	t.Log(b.String())
	if !again.Empty() {
		t.Errorf("plan after apply is not empty")
	}
}
