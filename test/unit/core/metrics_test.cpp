#include <catch2/catch.hpp>

#include "core/metrics.hpp"

using vigil::core::Metrics;

TEST_CASE("metrics: HELP and TYPE once per family, then its samples") {
  Metrics m;
  m.family("keepalived_up", Metrics::Type::gauge, "Status").sample(1.0);
  m.family("keepalived_advertisements_sent_total", Metrics::Type::counter, "Advertisements sent")
      .sample({{"iname", "VI_1"}, {"intf", "eth0"}, {"vrid", "51"}}, std::uint64_t(42))
      .sample({{"iname", "VI_2"}, {"intf", "eth1"}, {"vrid", "52"}}, std::uint64_t(0));
  CHECK(m.text() ==
        "# HELP keepalived_up Status\n"
        "# TYPE keepalived_up gauge\n"
        "keepalived_up 1\n"
        "# HELP keepalived_advertisements_sent_total Advertisements sent\n"
        "# TYPE keepalived_advertisements_sent_total counter\n"
        "keepalived_advertisements_sent_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 42\n"
        "keepalived_advertisements_sent_total{iname=\"VI_2\",intf=\"eth1\",vrid=\"52\"} 0\n");
  CHECK(m.rejected() == 0);
}

TEST_CASE("metrics: label values and help text are escaped, numbers are exact") {
  Metrics m;
  m.family("vigil_x", Metrics::Type::gauge, "a \\ and a\nnewline")
      .sample({{"path", "C:\\dir \"quoted\"\nnext"}}, 0.25)
      .sample({{"v", ""}}, 1e-6);
  CHECK(m.text() == "# HELP vigil_x a \\\\ and a\\nnewline\n"
                    "# TYPE vigil_x gauge\n"
                    "vigil_x{path=\"C:\\\\dir \\\"quoted\\\"\\nnext\"} 0.25\n"
                    "vigil_x{v=\"\"} 1e-06\n");
}

TEST_CASE("metrics: a family declared twice is refused, not written") {
  Metrics m;
  m.family("vigil_y", Metrics::Type::gauge, "y").sample(1.0);
  m.family("vigil_y", Metrics::Type::gauge, "y").sample(2.0);
  CHECK(m.rejected() == 1);
  CHECK(m.text() == "# HELP vigil_y y\n# TYPE vigil_y gauge\nvigil_y 1\n");
}
