// CSV logs: written as a run goes, cut back to the checkpoint on resume, read back by sar compare.
#include <cmath>
#include <fstream>

#include "train/csv_log.h"
#include "tests/test_util.h"

using namespace sar;

TEST_CASE("csv log: a resumed log keeps the rows up to the checkpoint's step; another header is refused") {
  const std::string path = test::temp_dir("csv_log") + "/log.csv";
  {
    CsvLog log(path, {"step", "loss"});
    log.append({10, 2.5});
    log.append({20, NAN});  // an empty cell
    log.append({30, 1.5});
  }
  const CsvTable written = read_csv(path);
  CHECK(written.columns == std::vector<std::string>{"step", "loss"});
  REQUIRE(written.rows.size() == 3);
  CHECK(std::isnan(written.rows[1][1]));

  CsvLog resumed(path, {"step", "loss"}, 20);  // the checkpoint was written at step 20
  CHECK(resumed.column("step") == std::vector<double>{10, 20});
  CHECK(read_csv(path).rows.size() == 2);      // the file says so too
  CHECK(test::error_of([&] { resumed.column("lr"); }) == path + ": no column 'lr'");
  CHECK(test::error_of([&] { CsvLog(path, {"step", "lr"}, 20); }) ==
        path + ": its header 'step,loss' is not this run's 'step,lr'");

  std::ofstream(path, std::ios::trunc) << "";
  CHECK(test::error_of([&] { read_csv(path); }) == path + ": no header line");
  CHECK(test::error_of([&] { read_csv(path + ".missing"); }) == path + ".missing: cannot open (No such file or directory)");
  CsvLog fresh(path, {"step", "loss"}, 20);    // an empty file resumes as no rows
  CHECK(fresh.rows().empty());
}
