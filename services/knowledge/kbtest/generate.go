// Package kbtest generates knowledge-base data for tests and benchmarks:
// Chinese and English articles and the queries users type, from a seed, so
// every run sees the same data without downloads.
package kbtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Categories are the top-level categories and their children, as the
// source document's support team would file questions.
var Categories = map[string][]string{
	"账号与登录":            {"密码重置", "单点登录", "账号锁定"},
	"课程学习":             {"视频播放", "课件下载", "学习进度"},
	"考试认证":             {"在线考试", "成绩查询", "证书"},
	"系统故障":             {"网络连接", "打印机", "浏览器"},
	"Account & Access": {"Password", "Two-factor"},
	"Platform Issues":  {"Performance", "Mobile app"},
}

var (
	productsZH = []string{"打印机", "路由器", "考试系统", "课程平台", "企业邮箱", "VPN 客户端", "视频播放器", "学习APP", "证书系统", "单点登录", "摄像头", "麦克风", "浏览器插件", "网盘", "成绩单"}
	problemsZH = []string{"无法连接网络", "登录失败", "打开很慢", "页面白屏", "显示乱码", "提示证书过期", "一直转圈", "无法上传文件", "声音断断续续", "闪退", "提示密码错误", "无法下载", "同步失败", "分数不显示", "验证码收不到"}
	contextsZH = []string{"在 Windows 11 上", "在手机上", "升级后", "在公司内网", "考试期间", "用 Chrome 时", "在 macOS 上", "晚上高峰期", "第一次使用时", "换了电脑后"}
	stepsZH    = []string{"先重启设备，再重新登录。", "清除浏览器缓存后刷新页面。", "检查网络设置，确认能访问内网。", "在个人中心重新绑定手机。", "卸载后安装最新版本。", "联系管理员重置账号权限。", "更换网络后重试。", "确认系统时间正确。", "关闭代理软件后重试。", "在设置中重新选择设备。"}

	productsEN = []string{"printer", "router", "exam portal", "course platform", "mailbox", "VPN client", "video player", "learning app", "certificate service", "single sign-on", "webcam", "microphone", "browser extension", "cloud drive", "transcript"}
	problemsEN = []string{"cannot connect to the network", "login fails", "is very slow", "shows a blank page", "shows garbled text", "says the certificate expired", "keeps loading", "cannot upload files", "audio keeps cutting out", "crashes on start", "rejects the password", "cannot download", "sync fails", "does not show scores", "never sends the code"}
	contextsEN = []string{"on Windows 11", "on my phone", "after the update", "on the office network", "during the exam", "in Chrome", "on macOS", "at peak hours", "on first use", "on a new laptop"}
	stepsEN    = []string{"Restart the device and sign in again.", "Clear the browser cache and reload.", "Check the network settings and the intranet access.", "Re-bind your phone in the profile page.", "Uninstall and install the latest version.", "Ask an administrator to reset the account permissions.", "Switch networks and try again.", "Make sure the system clock is right.", "Turn off proxy software and retry.", "Choose the device again in the settings."}
)

// Article is one generated article.
type Article struct {
	Title    string
	Body     string
	Category string // a leaf category name, a key of the children in Categories
	Tags     []string
}

// Generator makes articles and queries from a seed.
type Generator struct {
	r      *rand.Rand
	leaves []string
}

// New returns a generator; the same seed gives the same sequence.
func New(seed uint64) *Generator {
	g := &Generator{r: rand.New(rand.NewPCG(seed, 0x6b62))}
	for _, top := range SortedTop() {
		g.leaves = append(g.leaves, Categories[top]...)
	}
	return g
}

// SortedTop lists the top-level categories in a fixed order.
func SortedTop() []string {
	return []string{"账号与登录", "课程学习", "考试认证", "系统故障", "Account & Access", "Platform Issues"}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// Article returns the next article: two in three are Chinese, one in three
// English, with a serial number that makes every title unique.
func (g *Generator) Article(n int) Article {
	a := Article{Category: pick(g.r, g.leaves)}
	var b strings.Builder
	if g.r.IntN(3) < 2 {
		p := g.r.IntN(len(productsZH))
		a.Title = fmt.Sprintf("%s%s%s（#%d）", pick(g.r, contextsZH), productsZH[p], pick(g.r, problemsZH), n)
		a.Tags = []string{productsZH[p]}
		b.WriteString("## 现象\n\n" + a.Title + "。\n\n## 解决方法\n\n")
		for i := range 2 + g.r.IntN(4) {
			fmt.Fprintf(&b, "%d. %s\n", i+1, pick(g.r, stepsZH))
		}
	} else {
		p := g.r.IntN(len(productsEN))
		a.Title = fmt.Sprintf("The %s %s %s (#%d)", productsEN[p], pick(g.r, problemsEN), pick(g.r, contextsEN), n)
		a.Tags = []string{productsEN[p]}
		b.WriteString("## Symptom\n\n" + a.Title + ".\n\n## Fix\n\n")
		for i := range 2 + g.r.IntN(4) {
			fmt.Fprintf(&b, "%d. %s\n", i+1, pick(g.r, stepsEN))
		}
	}
	a.Body = b.String()
	return a
}

// Query returns what a user might search for: a product, a problem, both,
// a misspelt English word, or a word being typed.
func (g *Generator) Query() string {
	switch g.r.IntN(8) {
	case 0:
		return pick(g.r, productsZH)
	case 1:
		return pick(g.r, productsZH) + pick(g.r, problemsZH)
	case 2:
		return pick(g.r, problemsZH)
	case 3:
		return pick(g.r, productsEN) + " " + pick(g.r, problemsEN)
	case 4:
		return typo(g.r, pick(g.r, productsEN))
	case 5:
		return pick(g.r, contextsZH) + pick(g.r, productsZH)
	case 6:
		return pick(g.r, productsEN)
	default:
		return pick(g.r, productsZH) + " " + pick(g.r, productsEN)
	}
}

// Typing returns the text of a ticket title being typed: a prefix of a
// plausible title, one keystroke at a time.
func (g *Generator) Typing() string {
	var title []rune
	if g.r.IntN(3) < 2 {
		title = []rune(pick(g.r, productsZH) + pick(g.r, problemsZH))
	} else {
		title = []rune(pick(g.r, productsEN) + " " + pick(g.r, problemsEN))
	}
	return string(title[:2+g.r.IntN(len(title)-1)])
}

// typo swaps two neighbouring letters of a word of four letters or more.
func typo(r *rand.Rand, s string) string {
	b := []byte(s)
	if len(b) < 4 {
		return s
	}
	i := 1 + r.IntN(len(b)-2)
	if b[i] == ' ' || b[i+1] == ' ' {
		return s
	}
	b[i], b[i+1] = b[i+1], b[i]
	return string(b)
}
